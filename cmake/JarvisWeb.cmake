# The browser dashboard (service/web, PROTOCOL.md section 1): built by npm + Vite into the build
# tree and embedded in jarvisd as the Qt resource prefix /web (:/web/index.html,
# :/web/assets/...), so one binary serves everything. Included from service/CMakeLists.txt.
#
#   npm ci         only when service/web/package-lock.json changed (web-npm-ci.cmake and its stamps)
#   npm run build  only when a source of the app changed; writes <build>/service/web/dist, never
#                  into the source tree; prints the first-load budget
#   web.qrc        generated after the build from whatever dist holds (web-qrc.cmake)
#   rcc            --no-compress: the .gz/.br siblings are compressed already and every file is
#                  served with its own encoding, so rcc stores the bytes as they are
#
# `cmake --build build --target jarvis_web` builds only the dashboard and its resource.
# JARVIS_WEB_SOURCE_DIR points the build at another checkout of the app (a development copy).

find_program(NPM_EXECUTABLE npm REQUIRED)
set(JARVIS_WEB_SOURCE_DIR "${PROJECT_SOURCE_DIR}/service/web" CACHE PATH
    "The dashboard's sources (a package.json whose `build` script takes -- --outDir DIR --emptyOutDir)")
if(NOT EXISTS "${JARVIS_WEB_SOURCE_DIR}/package.json")
    message(FATAL_ERROR "The dashboard's sources are missing: no package.json in ${JARVIS_WEB_SOURCE_DIR}")
endif()

set(_web_src "${JARVIS_WEB_SOURCE_DIR}")
set(_web_bin "${CMAKE_CURRENT_BINARY_DIR}/web")
set(_web_dist "${_web_bin}/dist")
set(_web_cmake "${PROJECT_SOURCE_DIR}/cmake")

# What the build reads. Explicit names at the top (the build may leave files such as
# *.tsbuildinfo there, which must not make it run again), whole trees below; never node_modules.
file(GLOB _web_top LIST_DIRECTORIES false CONFIGURE_DEPENDS
    "${_web_src}/index.html" "${_web_src}/package.json" "${_web_src}/package-lock.json"
    "${_web_src}/vite.config.*" "${_web_src}/tsconfig*.json" "${_web_src}/*.config.mjs"
    "${_web_src}/*.config.js")
file(GLOB_RECURSE _web_tree LIST_DIRECTORIES false CONFIGURE_DEPENDS
    "${_web_src}/src/*" "${_web_src}/public/*" "${_web_src}/tools/*" "${_web_src}/scripts/*")

add_custom_command(OUTPUT "${_web_bin}/npm-ci.stamp"
    COMMAND "${CMAKE_COMMAND}" "-DDIR=${_web_src}" "-DNPM=${NPM_EXECUTABLE}"
            "-DSTAMP=${_web_bin}/npm-ci.stamp" -P "${_web_cmake}/web-npm-ci.cmake"
    DEPENDS "${_web_src}/package-lock.json" "${_web_src}/package.json" "${_web_cmake}/web-npm-ci.cmake"
    COMMENT "web: npm ci in ${_web_src} (when package-lock.json changed)"
    VERBATIM)

add_custom_command(OUTPUT "${_web_bin}/dist.stamp"
    COMMAND "${NPM_EXECUTABLE}" run build -- --outDir "${_web_dist}" --emptyOutDir
    COMMAND "${CMAKE_COMMAND}" -E touch "${_web_bin}/dist.stamp"
    WORKING_DIRECTORY "${_web_src}"
    DEPENDS "${_web_bin}/npm-ci.stamp" ${_web_top} ${_web_tree}
    COMMENT "web: npm run build into ${_web_dist}"
    VERBATIM)

add_custom_command(OUTPUT "${_web_bin}/web.qrc"
    COMMAND "${CMAKE_COMMAND}" "-DDIST=${_web_dist}" "-DQRC=${_web_bin}/web.qrc" -DPREFIX=/web
            -P "${_web_cmake}/web-qrc.cmake"
    DEPENDS "${_web_bin}/dist.stamp" "${_web_cmake}/web-qrc.cmake"
    COMMENT "web: listing ${_web_dist} in web.qrc"
    VERBATIM)

add_custom_command(OUTPUT "${_web_bin}/qrc_jarvis_web.cpp"
    COMMAND Qt6::rcc --name jarvis_web --no-compress -o "${_web_bin}/qrc_jarvis_web.cpp"
            "${_web_bin}/web.qrc"
    DEPENDS "${_web_bin}/web.qrc" "${_web_bin}/dist.stamp" Qt6::rcc
    COMMENT "web: rcc web.qrc (stored uncompressed)"
    VERBATIM)

add_custom_target(jarvis_web DEPENDS "${_web_bin}/qrc_jarvis_web.cpp")

# Linked as objects into the executable, so rcc's static initialiser registers :/web at start
# (no Q_INIT_RESOURCE needed, as it would be from a static library).
add_library(jarvis_web_resource OBJECT "${_web_bin}/qrc_jarvis_web.cpp")
set_source_files_properties("${_web_bin}/qrc_jarvis_web.cpp" PROPERTIES SKIP_AUTOGEN ON)
set_target_properties(jarvis_web_resource PROPERTIES AUTOMOC OFF AUTOUIC OFF AUTORCC OFF)
target_link_libraries(jarvis_web_resource PRIVATE Qt6::Core)
