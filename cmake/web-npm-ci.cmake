# cmake -DDIR=<package dir> -DNPM=<npm> -DSTAMP=<build-tree stamp> -P web-npm-ci.cmake
# `npm ci` in DIR unless DIR/node_modules/.jarvis-installed is newer than package-lock.json (the
# stamp scripts/install-deps.sh writes too, so a tree it installed is not installed twice), then
# touches STAMP, the build tree's record that DIR's packages are in place.
foreach(var DIR NPM STAMP)
    if(NOT DEFINED ${var})
        message(FATAL_ERROR "web-npm-ci.cmake: -D${var}=... is required")
    endif()
endforeach()
set(lock "${DIR}/package-lock.json")
set(installed "${DIR}/node_modules/.jarvis-installed")
if(NOT EXISTS "${lock}")
    message(FATAL_ERROR "${lock} is missing: `npm ci` installs exactly what the committed lock file pins")
endif()
if(NOT EXISTS "${installed}" OR "${lock}" IS_NEWER_THAN "${installed}")
    message(STATUS "npm ci in ${DIR}")
    execute_process(COMMAND "${NPM}" ci --no-audit --no-fund --loglevel=error
        WORKING_DIRECTORY "${DIR}" RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "npm ci in ${DIR} failed (${rc})")
    endif()
    file(MAKE_DIRECTORY "${DIR}/node_modules")
    file(TOUCH "${installed}")
endif()
file(TOUCH "${STAMP}")
