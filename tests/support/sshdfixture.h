#pragma once

#include "demo/loopbacksshd.h"

// A real OpenSSH server for tests: jarvis::demo::LoopbackSshd (`sshd -D -e -f
// <generated config>` on 127.0.0.1 and a free port, as the current user) in a temporary
// directory, with the extra keys tests need: a client key the server rejects
// (otherClientKeyFile()) and another host key (wrongKnownHostsFile()). The destructor stops sshd
// and every process under it. Sessions get an empty HOME (Options::cleanHome), so the shell
// starts without the user's start-up files. Setup waits for ssh-keygen and for sshd to listen (test
// harness code, not the code under test).
class SshdFixture : public jarvis::demo::LoopbackSshd
{
public:
    // `extraConfig`: more sshd_config lines (LoopbackSshd::Options::extraConfig).
    explicit SshdFixture(const QByteArray &extraConfig = QByteArray())
        : LoopbackSshd(Options {QString(), true, true, extraConfig})
    { }
};
