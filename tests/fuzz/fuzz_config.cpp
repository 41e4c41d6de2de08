// libFuzzer target for the configuration reader (service/config/config.h): the INI text parse
// and validation of config::loadText, which load() runs on the file's bytes. Input: the file.
// Checks: every problem names the file and says what is wrong; a file without problems gives a
// usable configuration (a node with a host, a port, the secrets it requires); reading is
// deterministic.
#include "config/config.h"
#include "fuzzcheck.h"

using namespace jarvis;

namespace {

QStringList texts(const QList<config::Problem> &problems)
{
    QStringList out;
    for (const config::Problem &p : problems)
        out << p.toString();
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray bytes(reinterpret_cast<const char *>(data), qsizetype(size));
    // Not a real directory: the files the text names are looked up there and never found.
    const QString path = QStringLiteral("/nonexistent-jarvis-fuzz/jarvis.ini");
    const QProcessEnvironment env;
    const config::LoadResult result = config::loadText(bytes, path, env);
    for (const config::Problem &p : result.problems) {
        FUZZ_CHECK(p.file == path);
        FUZZ_CHECK(!p.message.trimmed().isEmpty());
    }
    if (result.ok()) {
        const config::Config &c = result.config;
        FUZZ_CHECK(!c.nodes.isEmpty());
        for (const config::NodeConfig &node : c.nodes) {
            FUZZ_CHECK(!node.name.isEmpty() && !node.host.isEmpty());
            FUZZ_CHECK(node.apiUrl.isValid() && node.sshPort > 0 && node.sshPort <= 65535);
        }
        FUZZ_CHECK(c.port >= 0 && c.port <= 65535);
        FUZZ_CHECK(c.jwtSecret.size() >= 43);
        FUZZ_CHECK(!c.passwordHash.isEmpty());
        FUZZ_CHECK(!c.tokenId.isEmpty() && !c.tokenSecret.isEmpty());
        FUZZ_CHECK(c.sourceFile == path);
    }
    FUZZ_CHECK(texts(config::loadText(bytes, path, env).problems) == texts(result.problems));
    return 0;
}
