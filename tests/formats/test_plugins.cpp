// Third-party formats: the example plugin (plugins/example_plugin, a MODULE library linked against
// nothing of ours) is dlopen()ed from a folder, registers its reader, and reads a file; broken
// libraries are reported, not fatal.
#include <QtTest>

#include <cstdlib>

#include "format_test_util.hpp"
#include "pxrd/error.hpp"

namespace {
const std::string kPluginDir = PXRD_BIN_DIR "/../example_plugins";
const std::string kDemo = "PXRD-DEMO 1 0.7093\n5.0 10\n5.5 30\n6.0 20\n";
}  // namespace

class TestPlugins : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() {
    // Before the process-wide registry exists: it must pick the folder up from the environment.
    ::setenv("PXRD_PLUGIN_PATH", ("/nonexistent:" + kPluginDir).c_str(), 1);
  }

  void registry_loads_folder() {
    pxrd::formats::Registry reg;
    reg.add_builtin();
    const std::size_t builtin = reg.readers().size();
    QCOMPARE(reg.load_plugin_folder(kPluginDir), 1);
    QCOMPARE(reg.readers().size(), builtin + 1);
    const pxrd::formats::Reader* demo = reg.find_reader("example_demo");
    QVERIFY(demo);
    bool found = false;
    for (const auto& e : reg.readers())
      if (e.reader == demo) {
        found = true;
        QVERIFY(e.source.find("example_format.so") != std::string::npos);
      }
    QVERIFY(found);
    const pxrd::Pattern p = reg.read_content(kDemo, "sample.demo");
    QCOMPARE(QString::fromStdString(p.format), QString("example_demo"));
    QCOMPARE(p.size(), std::size_t(3));
    QCOMPARE(p.y[1], 30.0);
    QCOMPARE(p.radiation->lambda1_angstrom, 0.7093);
    // Detected by content even under another extension.
    QCOMPARE(QString::fromStdString(reg.read_content(kDemo, "renamed.xy").format), QString("example_demo"));
  }

  void plugin_errors_become_input_errors() {
    pxrd::formats::Registry reg;
    reg.load_plugin_folder(kPluginDir);
    try {
      reg.read_content("PXRD-DEMO 1 0.7\n", "empty.demo");
      QFAIL("no error");
    } catch (const pxrd::InputError& e) {
      QCOMPARE(QString::fromStdString(e.file()), QString("empty.demo"));
      QVERIFY(e.cause().find("without data") != std::string::npos);
    }
  }

  void broken_library_is_reported() {
    const std::string dir = fmt_test::temp_path("plugins");
    QVERIFY(QDir().mkpath(QString::fromStdString(dir)));
    pxrd::write_file_atomically(dir + "/broken.so", "this is not an ELF file");
    pxrd::formats::Registry reg;
    QCOMPARE(reg.load_plugin_folder(dir), 0);
    QCOMPARE(reg.load_errors().size(), std::size_t(1));
    QVERIFY(reg.load_errors()[0].find("broken.so") != std::string::npos);
    QVERIFY_THROWS_EXCEPTION(pxrd::Error, reg.load_plugin(dir + "/broken.so"));
    QCOMPARE(reg.load_plugin_folder("/nonexistent/folder"), 0);
  }

  void process_registry_uses_environment() {
    const auto& reg = pxrd::formats::Registry::instance();
    QVERIFY(reg.find_reader("example_demo") != nullptr);
    QVERIFY(reg.find_reader("xrdml") != nullptr);
    const std::string path = fmt_test::temp_path("x.demo");
    pxrd::write_file_atomically(path, kDemo);
    QCOMPARE(QString::fromStdString(pxrd::formats::read_pattern(path).format), QString("example_demo"));
  }
};

QTEST_GUILESS_MAIN(TestPlugins)
#include "test_plugins.moc"
