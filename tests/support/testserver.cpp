// jarvis-test-server: jarvisd exactly (same command line, configuration, routes and namespaces)
// plus a JWT-protected /test namespace with echo behaviour for the interop suite.
#include "app/runner.h"
#include "testnamespace.h"

int main(int argc, char **argv)
{
    return jarvis::app::run(argc, argv, &jarvis::testing::addTestNamespace);
}
