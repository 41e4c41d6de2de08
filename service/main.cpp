#include "app/runner.h"

int main(int argc, char **argv)
{
    return jarvis::app::run(argc, argv);
}
