// TerminalItem and its libvterm screen: VT/ANSI sequences checked cell by cell, keys checked byte
// by byte, pastes, selection, scrollback, resize, and that output is painted once per frame. Runs
// offscreen in a real QQuickWindow (software scene graph).
#include "terminalitem.h"

#include <QClipboard>
#include <QColor>
#include <QGuiApplication>
#include <QImage>
#include <QQuickWindow>
#include <QSignalSpy>
#include <QTest>

#include <memory>

using jarvis::console::TerminalCell;
using jarvis::console::TerminalItem;
using jarvis::console::TerminalScreen;

namespace {
enum Attr { Bold = 1, Underline = 2, Italic = 4, Inverse = 8 };

QString colourName(QRgb rgb, bool isDefault)
{
    return isDefault ? QStringLiteral("default") : QColor::fromRgb(rgb).name();
}

int attrsOf(const TerminalCell &c)
{
    return (c.bold ? Bold : 0) | (c.underline ? Underline : 0) | (c.italic ? Italic : 0)
        | (c.inverse ? Inverse : 0);
}

// Everything the key tests send.
QByteArray keyBytes(TerminalItem *item, int key, Qt::KeyboardModifiers mods, const QString &text)
{
    QSignalSpy input(item, &TerminalItem::input);
    QKeyEvent press(QEvent::KeyPress, key, mods, text);
    QCoreApplication::sendEvent(item, &press);
    QByteArray bytes;
    for (const QList<QVariant> &args : input)
        bytes += args.at(0).toByteArray();
    return bytes;
}
} // namespace

class TestTerminalItem : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();

    void cells_data();
    void cells();
    void cursor_data();
    void cursor();
    void alternateScreen();
    void resize();
    void keys_data();
    void keys();
    void paste_data();
    void paste();
    void selection();
    void mouseSelectionAndCopy();
    void scrollback();
    void scrollbackLimit();
    void scrollbackFullKeepsTheView();
    void title();
    void terminalAnswersQueries();
    void outputCoalescedPerFrame();
    void paintsColours();

private:
    TerminalItem *makeItem(int cols, int rows);
    std::unique_ptr<QQuickWindow> m_window;
    TerminalItem *m_item = nullptr;
};

void TestTerminalItem::initTestCase()
{
    m_window = std::make_unique<QQuickWindow>();
    m_window->resize(1200, 900);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
}

TerminalItem *TestTerminalItem::makeItem(int cols, int rows)
{
    delete m_item;
    m_item = new TerminalItem(m_window->contentItem());
    const QSizeF cell = m_item->cellSize();
    m_item->setSize(QSizeF(cols * cell.width() + cell.width() / 2, rows * cell.height() + 1));
    m_item->forceActiveFocus();
    return m_item;
}

void TestTerminalItem::init()
{
    makeItem(80, 24);
    QCOMPARE(m_item->cols(), 80);
    QCOMPARE(m_item->rows(), 24);
}

void TestTerminalItem::cleanup()
{
    delete m_item;
    m_item = nullptr;
}

void TestTerminalItem::cells_data()
{
    QTest::addColumn<QByteArray>("output");
    QTest::addColumn<int>("row");
    QTest::addColumn<int>("col");
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("fg");
    QTest::addColumn<QString>("bg");
    QTest::addColumn<int>("attrs");
    QTest::addColumn<int>("width");

    const QString def = QStringLiteral("default");
    QTest::newRow("plain") << QByteArray("hello") << 0 << 1 << "e" << def << def << 0 << 1;
    QTest::newRow("blank after text") << QByteArray("hi") << 0 << 2 << "" << def << def << 0 << 1;
    QTest::newRow("second line") << QByteArray("a\r\nbc") << 1 << 1 << "c" << def << def << 0 << 1;
    // 16 colours (xterm's palette)
    QTest::newRow("SGR 31 red") << QByteArray("\x1b[31mR") << 0 << 0 << "R"
                                << "#cd0000" << def << 0 << 1;
    QTest::newRow("SGR 42 green bg")
        << QByteArray("\x1b[42mG") << 0 << 0 << "G" << def << "#00cd00" << 0 << 1;
    QTest::newRow("SGR 94 bright blue") << QByteArray("\x1b[94mB") << 0 << 0 << "B"
                                        << "#5c5cff" << def << 0 << 1;
    QTest::newRow("SGR 107 bright white bg")
        << QByteArray("\x1b[107mW") << 0 << 0 << "W" << def << "#ffffff" << 0 << 1;
    QTest::newRow("SGR 39/49 back to default")
        << QByteArray("\x1b[31;42mx\x1b[39;49my") << 0 << 1 << "y" << def << def << 0 << 1;
    QTest::newRow("SGR 0 resets colour")
        << QByteArray("\x1b[1;31mx\x1b[0my") << 0 << 1 << "y" << def << def << 0 << 1;
    // 256 colours: the cube and the grey ramp
    QTest::newRow("256 fg 196") << QByteArray("\x1b[38;5;196mx") << 0 << 0 << "x"
                                << "#ff0000" << def << 0 << 1;
    QTest::newRow("256 fg 21") << QByteArray("\x1b[38;5;21mx") << 0 << 0 << "x"
                               << "#0000ff" << def << 0 << 1;
    QTest::newRow("256 bg 22") << QByteArray("\x1b[48;5;22mx") << 0 << 0 << "x" << def << "#005f00"
                               << 0 << 1;
    QTest::newRow("256 fg 244 grey") << QByteArray("\x1b[38;5;244mx") << 0 << 0 << "x"
                                     << "#808080" << def << 0 << 1;
    QTest::newRow("256 fg 3 is ANSI") << QByteArray("\x1b[38;5;3mx") << 0 << 0 << "x"
                                      << "#cdcd00" << def << 0 << 1;
    // truecolor
    QTest::newRow("truecolor fg") << QByteArray("\x1b[38;2;1;2;3mx") << 0 << 0 << "x"
                                  << "#010203" << def << 0 << 1;
    QTest::newRow("truecolor bg") << QByteArray("\x1b[48;2;250;128;7mx") << 0 << 0 << "x" << def
                                  << "#fa8007" << 0 << 1;
    // attributes
    QTest::newRow("bold") << QByteArray("\x1b[1mb") << 0 << 0 << "b" << def << def << int(Bold)
                          << 1;
    QTest::newRow("underline") << QByteArray("\x1b[4mu") << 0 << 0 << "u" << def << def
                               << int(Underline) << 1;
    QTest::newRow("italic") << QByteArray("\x1b[3mi") << 0 << 0 << "i" << def << def << int(Italic)
                            << 1;
    QTest::newRow("inverse") << QByteArray("\x1b[7mv") << 0 << 0 << "v" << def << def
                             << int(Inverse) << 1;
    QTest::newRow("all at once") << QByteArray("\x1b[1;3;4;7;33;44mz") << 0 << 0 << "z"
                                 << "#cdcd00"
                                 << "#0000ee" << int(Bold | Underline | Italic | Inverse) << 1;
    QTest::newRow("22 24 27 end them")
        << QByteArray("\x1b[1;4;7mx\x1b[22;24;27my") << 0 << 1 << "y" << def << def << 0 << 1;
    // cursor movement
    QTest::newRow("CUP") << QByteArray("\x1b[5;10HX") << 4 << 9 << "X" << def << def << 0 << 1;
    QTest::newRow("CUU") << QByteArray("\x1b[10;10H\x1b[3AY") << 6 << 9 << "Y" << def << def << 0
                         << 1;
    QTest::newRow("CUD") << QByteArray("\x1b[2;2H\x1b[4BY") << 5 << 1 << "Y" << def << def << 0
                         << 1;
    QTest::newRow("CUF") << QByteArray("\x1b[1;1H\x1b[7CY") << 0 << 7 << "Y" << def << def << 0
                         << 1;
    QTest::newRow("CUB") << QByteArray("\x1b[1;20H\x1b[5DY") << 0 << 14 << "Y" << def << def << 0
                         << 1;
    QTest::newRow("CR overwrites") << QByteArray("abc\rX") << 0 << 0 << "X" << def << def << 0 << 1;
    QTest::newRow("BS") << QByteArray("abc\bX") << 0 << 2 << "X" << def << def << 0 << 1;
    // erase
    QTest::newRow("EL to end") << QByteArray("abcdef\x1b[1;3H\x1b[K") << 0 << 2 << "" << def << def
                               << 0 << 1;
    QTest::newRow("EL keeps the left")
        << QByteArray("abcdef\x1b[1;3H\x1b[K") << 0 << 1 << "b" << def << def << 0 << 1;
    QTest::newRow("EL 1 to start")
        << QByteArray("abcdef\x1b[1;3H\x1b[1K") << 0 << 2 << "" << def << def << 0 << 1;
    QTest::newRow("ED 2 whole screen")
        << QByteArray("abc\r\ndef\x1b[2J") << 1 << 0 << "" << def << def << 0 << 1;
    QTest::newRow("erase with bg colour")
        << QByteArray("abc\x1b[44m\x1b[1;1H\x1b[K") << 0 << 1 << "" << def << "#0000ee" << 0 << 1;
    QTest::newRow("ECH") << QByteArray("abcdef\x1b[1;2H\x1b[2X") << 0 << 2 << "" << def << def << 0
                         << 1;
    QTest::newRow("DCH") << QByteArray("abcdef\x1b[1;2H\x1b[2P") << 0 << 1 << "d" << def << def << 0
                         << 1;
    // wide and combining characters
    QTest::newRow("CJK left half") << QByteArray("\xe4\xb8\xad"
                                                 "x")
                                   << 0 << 0 << "\u4e2d" << def << def << 0 << 2;
    QTest::newRow("CJK right half") << QByteArray("\xe4\xb8\xad"
                                                  "x")
                                    << 0 << 1 << "" << def << def << 0 << 0;
    QTest::newRow("after CJK") << QByteArray("\xe4\xb8\xad"
                                             "x")
                               << 0 << 2 << "x" << def << def << 0 << 1;
    QTest::newRow("emoji wide") << QByteArray("\xf0\x9f\x98\x80"
                                              "y")
                                << 0 << 2 << "y" << def << def << 0 << 1;
    QTest::newRow("emoji cell") << QByteArray("\xf0\x9f\x98\x80") << 0 << 0
                                << QString::fromUtf8("\xf0\x9f\x98\x80") << def << def << 0 << 2;
    QTest::newRow("combining accent") << QByteArray("e\xcc\x81z") << 0 << 0
                                      << QString::fromUtf8("e\xcc\x81") << def << def << 0 << 1;
    QTest::newRow("split UTF-8 across writes is one char")
        << QByteArray("\xc3\xa9") << 0 << 0 << QString::fromUtf8("\xc3\xa9") << def << def << 0
        << 1;
}

void TestTerminalItem::cells()
{
    QFETCH(QByteArray, output);
    QFETCH(int, row);
    QFETCH(int, col);
    QFETCH(QString, text);
    QFETCH(QString, fg);
    QFETCH(QString, bg);
    QFETCH(int, attrs);
    QFETCH(int, width);
    // Fed one byte at a time as well as whole: a sequence split across writes means the same.
    for (const bool bytewise : {false, true}) {
        makeItem(80, 24);
        if (bytewise) {
            for (const char c : output)
                m_item->write(QByteArray(1, c));
        } else {
            m_item->write(output);
        }
        const TerminalCell c = m_item->screen().cell(row, col);
        QCOMPARE(c.text, text);
        QCOMPARE(colourName(c.fg, c.defaultFg), fg);
        QCOMPARE(colourName(c.bg, c.defaultBg), bg);
        QCOMPARE(attrsOf(c), attrs);
        QCOMPARE(c.width, width);
    }
}

void TestTerminalItem::cursor_data()
{
    QTest::addColumn<QByteArray>("output");
    QTest::addColumn<QPoint>("position"); // x = column
    QTest::addColumn<bool>("visible");
    QTest::newRow("start") << QByteArray() << QPoint(0, 0) << true;
    QTest::newRow("after text") << QByteArray("abc") << QPoint(3, 0) << true;
    QTest::newRow("CUP") << QByteArray("\x1b[12;40H") << QPoint(39, 11) << true;
    QTest::newRow("CUP clamped") << QByteArray("\x1b[99;999H") << QPoint(79, 23) << true;
    QTest::newRow("CUU at top stays") << QByteArray("\x1b[5A") << QPoint(0, 0) << true;
    QTest::newRow("CHA") << QByteArray("abc\x1b[10G") << QPoint(9, 0) << true;
    QTest::newRow("VPA") << QByteArray("\x1b[7d") << QPoint(0, 6) << true;
    QTest::newRow("newline") << QByteArray("ab\r\n") << QPoint(0, 1) << true;
    QTest::newRow("after a wide char") << QByteArray("\xe4\xb8\xad") << QPoint(2, 0) << true;
    QTest::newRow("hidden") << QByteArray("\x1b[?25l") << QPoint(0, 0) << false;
    QTest::newRow("shown again") << QByteArray("\x1b[?25l\x1b[?25h") << QPoint(0, 0) << true;
    QTest::newRow("save restore") << QByteArray("\x1b[3;3H\x1b"
                                                "7\x1b[10;10H\x1b"
                                                "8")
                                  << QPoint(2, 2) << true;
}

void TestTerminalItem::cursor()
{
    QFETCH(QByteArray, output);
    QFETCH(QPoint, position);
    QFETCH(bool, visible);
    m_item->write(output);
    QCOMPARE(m_item->screen().cursor(), position);
    QCOMPARE(m_item->screen().cursorVisible(), visible);
}

void TestTerminalItem::alternateScreen()
{
    const TerminalScreen &s = m_item->screen();
    m_item->write("main line\r\n\x1b[31mred\x1b[0m");
    QVERIFY(!s.altScreen());
    m_item->write("\x1b[?1049h"); // what vim and less send
    QVERIFY(s.altScreen());
    QCOMPARE(s.lineText(0), QString()); // a clear alternate screen
    m_item->write("\x1b[H\x1b[44mALT");
    QCOMPARE(s.lineText(0), QStringLiteral("ALT"));
    QCOMPARE(colourName(s.cell(0, 0).bg, s.cell(0, 0).defaultBg), QStringLiteral("#0000ee"));
    // Scrolling the alternate screen does not feed the scrollback.
    const int scrollback = s.scrollbackSize();
    for (int i = 0; i < 40; ++i)
        m_item->write("x\r\n");
    QCOMPARE(s.scrollbackSize(), scrollback);
    m_item->write("\x1b[?1049l");
    QVERIFY(!s.altScreen());
    QCOMPARE(s.lineText(0), QStringLiteral("main line"));
    QCOMPARE(s.lineText(1), QStringLiteral("red"));
    QCOMPARE(colourName(s.cell(1, 0).fg, s.cell(1, 0).defaultFg), QStringLiteral("#cd0000"));
    QCOMPARE(s.cursor(), QPoint(3, 1)); // restored with the screen
    // The variant without saving the cursor (1047) too.
    m_item->write("\x1b[?1047hother");
    QVERIFY(s.altScreen());
    m_item->write("\x1b[?1047l");
    QVERIFY(!s.altScreen());
    QCOMPARE(s.lineText(0), QStringLiteral("main line"));
}

void TestTerminalItem::resize()
{
    const TerminalScreen &s = m_item->screen();
    QSignalSpy resized(m_item, &TerminalItem::terminalResized);
    for (int i = 1; i <= 24; ++i)
        m_item->write(QByteArray("line ") + QByteArray::number(i) + (i < 24 ? "\r\n" : ""));
    QCOMPARE(s.lineText(23), QStringLiteral("line 24"));

    // Wider and shorter: the top lines go to the scrollback, the cursor's line stays.
    const QSizeF cell = m_item->cellSize();
    m_item->setSize(QSizeF(100 * cell.width() + 1, 10 * cell.height() + 1));
    QCOMPARE(resized.size(), 1);
    QCOMPARE(resized.at(0).at(0).toInt(), 100);
    QCOMPARE(resized.at(0).at(1).toInt(), 10);
    QCOMPARE(m_item->cols(), 100);
    QCOMPARE(m_item->rows(), 10);
    QCOMPARE(s.cols(), 100);
    QCOMPARE(s.rows(), 10);
    QCOMPARE(s.lineText(9), QStringLiteral("line 24"));
    QCOMPARE(s.lineText(0), QStringLiteral("line 15"));
    QCOMPARE(s.scrollbackSize(), 14);
    QCOMPARE(s.lineText(-1), QStringLiteral("line 14"));
    QCOMPARE(s.cursor(), QPoint(7, 9));
    m_item->write("\x1b[1;100HZ"); // the new last column is usable
    QCOMPARE(s.cell(0, 99).text, QStringLiteral("Z"));

    // Taller again: lines come back from the scrollback.
    m_item->setSize(QSizeF(100 * cell.width() + 1, 20 * cell.height() + 1));
    QCOMPARE(resized.size(), 2);
    QCOMPARE(m_item->rows(), 20);
    QCOMPARE(s.lineText(19), QStringLiteral("line 24"));
    QCOMPARE(s.lineText(0), QStringLiteral("line 5"));
    QCOMPARE(s.scrollbackSize(), 4);

    // A size change smaller than a cell changes nothing and says nothing.
    m_item->setSize(QSizeF(100 * cell.width() + cell.width() / 2, 20 * cell.height() + 2));
    QCOMPARE(resized.size(), 2);

    // Narrower: libvterm 0.1.4 cuts lines (no reflow).
    m_item->setSize(QSizeF(4 * cell.width() + 1, 20 * cell.height() + 1));
    QCOMPARE(m_item->cols(), 4);
    QCOMPARE(s.lineText(19), QStringLiteral("line"));
    // Never below one cell.
    m_item->setSize(QSizeF(1, 1));
    QCOMPARE(m_item->cols(), 1);
    QCOMPARE(m_item->rows(), 1);
}

void TestTerminalItem::keys_data()
{
    QTest::addColumn<QByteArray>("mode"); // written first (e.g. application cursor keys)
    QTest::addColumn<int>("key");
    QTest::addColumn<int>("modifiers");
    QTest::addColumn<QString>("text"); // as Qt reports it
    QTest::addColumn<QByteArray>("bytes");

    const QByteArray normal;
    const QByteArray app("\x1b[?1h");
    const int none = Qt::NoModifier;
    const int ctrl = Qt::ControlModifier;
    const int alt = Qt::AltModifier;
    const int shift = Qt::ShiftModifier;
    QTest::newRow("a") << normal << int(Qt::Key_A) << none << "a" << QByteArray("a");
    QTest::newRow("A") << normal << int(Qt::Key_A) << shift << "A" << QByteArray("A");
    QTest::newRow("e acute") << normal << int(Qt::Key_Eacute) << none << "\u00e9"
                             << QByteArray("\xc3\xa9");
    QTest::newRow("Ctrl+C") << normal << int(Qt::Key_C) << ctrl << "\x03" << QByteArray("\x03");
    QTest::newRow("Ctrl+D") << normal << int(Qt::Key_D) << ctrl << "\x04" << QByteArray("\x04");
    QTest::newRow("Ctrl+Z") << normal << int(Qt::Key_Z) << ctrl << "\x1a" << QByteArray("\x1a");
    QTest::newRow("Ctrl+L") << normal << int(Qt::Key_L) << ctrl << "\x0c" << QByteArray("\x0c");
    QTest::newRow("Ctrl+A") << normal << int(Qt::Key_A) << ctrl << "\x01" << QByteArray("\x01");
    QTest::newRow("Ctrl+backslash")
        << normal << int(Qt::Key_Backslash) << ctrl << "\x1c" << QByteArray("\x1c");
    QTest::newRow("Alt+x") << normal << int(Qt::Key_X) << alt << "x" << QByteArray("\x1bx");
    QTest::newRow("Alt+.") << normal << int(Qt::Key_Period) << alt << "." << QByteArray("\x1b.");
    QTest::newRow("Enter") << normal << int(Qt::Key_Return) << none << "\r" << QByteArray("\r");
    QTest::newRow("keypad Enter") << normal << int(Qt::Key_Enter) << none << "\r"
                                  << QByteArray("\r");
    QTest::newRow("Backspace") << normal << int(Qt::Key_Backspace) << none << "\b"
                               << QByteArray("\x7f");
    QTest::newRow("Tab") << normal << int(Qt::Key_Tab) << none << "\t" << QByteArray("\t");
    QTest::newRow("Shift+Tab") << normal << int(Qt::Key_Backtab) << shift << ""
                               << QByteArray("\x1b[Z");
    QTest::newRow("Escape") << normal << int(Qt::Key_Escape) << none << "\x1b"
                            << QByteArray("\x1b");
    QTest::newRow("Up") << normal << int(Qt::Key_Up) << none << "" << QByteArray("\x1b[A");
    QTest::newRow("Down") << normal << int(Qt::Key_Down) << none << "" << QByteArray("\x1b[B");
    QTest::newRow("Right") << normal << int(Qt::Key_Right) << none << "" << QByteArray("\x1b[C");
    QTest::newRow("Left") << normal << int(Qt::Key_Left) << none << "" << QByteArray("\x1b[D");
    QTest::newRow("app Up") << app << int(Qt::Key_Up) << none << "" << QByteArray("\x1bOA");
    QTest::newRow("app Down") << app << int(Qt::Key_Down) << none << "" << QByteArray("\x1bOB");
    QTest::newRow("app Right") << app << int(Qt::Key_Right) << none << "" << QByteArray("\x1bOC");
    QTest::newRow("app Left") << app << int(Qt::Key_Left) << none << "" << QByteArray("\x1bOD");
    QTest::newRow("app mode off again")
        << QByteArray("\x1b[?1h\x1b[?1l") << int(Qt::Key_Up) << none << "" << QByteArray("\x1b[A");
    QTest::newRow("Ctrl+Up") << normal << int(Qt::Key_Up) << ctrl << "" << QByteArray("\x1b[1;5A");
    QTest::newRow("Ctrl+Left") << normal << int(Qt::Key_Left) << ctrl << ""
                               << QByteArray("\x1b[1;5D");
    QTest::newRow("Home") << normal << int(Qt::Key_Home) << none << "" << QByteArray("\x1b[H");
    QTest::newRow("End") << normal << int(Qt::Key_End) << none << "" << QByteArray("\x1b[F");
    QTest::newRow("app Home") << app << int(Qt::Key_Home) << none << "" << QByteArray("\x1bOH");
    QTest::newRow("app End") << app << int(Qt::Key_End) << none << "" << QByteArray("\x1bOF");
    QTest::newRow("PgUp") << normal << int(Qt::Key_PageUp) << none << "" << QByteArray("\x1b[5~");
    QTest::newRow("PgDn") << normal << int(Qt::Key_PageDown) << none << "" << QByteArray("\x1b[6~");
    QTest::newRow("Insert") << normal << int(Qt::Key_Insert) << none << "" << QByteArray("\x1b[2~");
    QTest::newRow("Delete") << normal << int(Qt::Key_Delete) << none << "\x7f"
                            << QByteArray("\x1b[3~");
    const char *fkeys[12] = {"\x1bOP", "\x1bOQ", "\x1bOR", "\x1bOS", "\x1b[15~", "\x1b[17~",
        "\x1b[18~", "\x1b[19~", "\x1b[20~", "\x1b[21~", "\x1b[23~", "\x1b[24~"};
    for (int i = 0; i < 12; ++i) {
        QTest::addRow("F%d", i + 1)
            << normal << int(Qt::Key_F1 + i) << none << "" << QByteArray(fkeys[i]);
    }
    QTest::newRow("Shift+F5") << normal << int(Qt::Key_F5) << shift << ""
                              << QByteArray("\x1b[15;2~");
    // The terminal's own keys send nothing.
    QTest::newRow("Shift+PgUp scrolls")
        << normal << int(Qt::Key_PageUp) << shift << "" << QByteArray();
    QTest::newRow("Ctrl+Shift+C copies")
        << normal << int(Qt::Key_C) << (ctrl | shift) << "\x03" << QByteArray();
    QTest::newRow("Shift alone") << normal << int(Qt::Key_Shift) << shift << "" << QByteArray();
}

void TestTerminalItem::keys()
{
    QFETCH(QByteArray, mode);
    QFETCH(int, key);
    QFETCH(int, modifiers);
    QFETCH(QString, text);
    QFETCH(QByteArray, bytes);
    m_item->write(mode);
    QCOMPARE(keyBytes(m_item, key, Qt::KeyboardModifiers(modifiers), text), bytes);
}

void TestTerminalItem::paste_data()
{
    QTest::addColumn<QByteArray>("mode");
    QTest::addColumn<QString>("text");
    QTest::addColumn<QByteArray>("bytes");
    const QByteArray bracketed("\x1b[?2004h");
    QTest::newRow("plain") << QByteArray() << "echo hi" << QByteArray("echo hi");
    QTest::newRow("newlines become Enter")
        << QByteArray() << "ls\nfoo\r\nbar" << QByteArray("ls\rfoo\rbar");
    QTest::newRow("unicode") << QByteArray() << QString::fromUtf8("caf\xc3\xa9 \xe4\xb8\xad")
                             << QByteArray("caf\xc3\xa9 \xe4\xb8\xad");
    QTest::newRow("bracketed") << bracketed << "ls\nfoo" << QByteArray("\x1b[200~ls\rfoo\x1b[201~");
    QTest::newRow("bracketed, end marker inside removed")
        << bracketed << "a\x1b[201~rm -rf x\n"
        << QByteArray("\x1b[200~arm -rf x\r\x1b[201~");
    QTest::newRow("bracketed then off")
        << QByteArray("\x1b[?2004h\x1b[?2004l") << "x" << QByteArray("x");
}

void TestTerminalItem::paste()
{
    QFETCH(QByteArray, mode);
    QFETCH(QString, text);
    QFETCH(QByteArray, bytes);
    m_item->write(mode);
    QSignalSpy input(m_item, &TerminalItem::input);
    m_item->paste(text);
    QCOMPARE(input.size(), 1);
    QCOMPARE(input.at(0).at(0).toByteArray(), bytes);

    // The same through the clipboard and Ctrl+Shift+V / Shift+Insert.
    QClipboard *clipboard = QGuiApplication::clipboard();
    clipboard->setText(text);
    QCOMPARE(keyBytes(m_item, Qt::Key_V, Qt::ControlModifier | Qt::ShiftModifier, "\x16"), bytes);
    QCOMPARE(keyBytes(m_item, Qt::Key_Insert, Qt::ShiftModifier, ""), bytes);
}

void TestTerminalItem::selection()
{
    m_item->write("hello world\r\nsecond line   \r\n\xe4\xb8\xad\xe6\x96\x87 wide");
    QSignalSpy changed(m_item, &TerminalItem::selectionChanged);
    QVERIFY(!m_item->hasSelection());
    m_item->select(QPoint(6, 0), QPoint(5, 1));
    QVERIFY(m_item->hasSelection());
    QCOMPARE(m_item->selectedText(), QStringLiteral("world\nsecond"));
    // Backwards is the same; trailing blanks of a line are not copied.
    m_item->select(QPoint(79, 1), QPoint(0, 1));
    QCOMPARE(m_item->selectedText(), QStringLiteral("second line"));
    // A wide character is one character.
    m_item->select(QPoint(0, 2), QPoint(9, 2));
    QCOMPARE(m_item->selectedText(), QString::fromUtf8("\xe4\xb8\xad\xe6\x96\x87 wide"));
    m_item->copy();
    QCOMPARE(
        QGuiApplication::clipboard()->text(), QString::fromUtf8("\xe4\xb8\xad\xe6\x96\x87 wide"));
    // Ctrl+Shift+C copies too.
    m_item->select(QPoint(0, 0), QPoint(4, 0));
    QCOMPARE(
        keyBytes(m_item, Qt::Key_C, Qt::ControlModifier | Qt::ShiftModifier, "\x03"), QByteArray());
    QCOMPARE(QGuiApplication::clipboard()->text(), QStringLiteral("hello"));
    // New output clears it (the text under it moved).
    m_item->write("x");
    QVERIFY(!m_item->hasSelection());
    QVERIFY(changed.size() >= 4);
}

void TestTerminalItem::mouseSelectionAndCopy()
{
    m_item->write("first line\r\nsecond line");
    const QSizeF cell = m_item->cellSize();
    const auto at = [&](int col, int row) {
        return m_item->mapToScene(QPointF((col + 0.5) * cell.width(), (row + 0.5) * cell.height()))
            .toPoint();
    };
    QTest::mousePress(m_window.get(), Qt::LeftButton, Qt::NoModifier, at(6, 0));
    QTest::mouseMove(m_window.get(), at(3, 1));
    QTest::mouseRelease(m_window.get(), Qt::LeftButton, Qt::NoModifier, at(3, 1));
    QVERIFY(m_item->hasSelection());
    QCOMPARE(m_item->selectedText(), QStringLiteral("line\nseco"));
    QVERIFY(m_item->hasActiveFocus());
    // A click without a drag clears it.
    QTest::mouseClick(m_window.get(), Qt::LeftButton, Qt::NoModifier, at(1, 1));
    QVERIFY(!m_item->hasSelection());
    // A double click selects a word.
    QTest::mouseDClick(m_window.get(), Qt::LeftButton, Qt::NoModifier, at(8, 1));
    QCOMPARE(m_item->selectedText(), QStringLiteral("line"));
}

void TestTerminalItem::scrollback()
{
    const TerminalScreen &s = m_item->screen();
    for (int i = 1; i <= 100; ++i)
        m_item->write(QByteArray("line ") + QByteArray::number(i) + (i < 100 ? "\r\n" : ""));
    QCOMPARE(s.lineText(0), QStringLiteral("line 77"));
    QCOMPARE(s.lineText(23), QStringLiteral("line 100"));
    QCOMPARE(s.scrollbackSize(), 76);
    QCOMPARE(m_item->scrollbackSize(), 76);
    QCOMPARE(s.lineText(-1), QStringLiteral("line 76"));
    QCOMPARE(s.lineText(-76), QStringLiteral("line 1"));
    QCOMPARE(s.lineText(-77), QString()); // beyond: blank
    // Attributes survive the trip into the scrollback.
    m_item->write("\r\n\x1b[1;32mgreen\x1b[0m");
    for (int i = 0; i < 24; ++i)
        m_item->write("\r\n");
    const TerminalCell green = s.cell(-1, 0);
    QCOMPARE(green.text, QStringLiteral("g"));
    QVERIFY(green.bold);
    QCOMPARE(colourName(green.fg, green.defaultFg), QStringLiteral("#00cd00"));

    // Viewing: Shift+PgUp a page, the wheel three lines a notch, typing goes back to the bottom.
    QSignalSpy offset(m_item, &TerminalItem::scrollOffsetChanged);
    QCOMPARE(m_item->scrollOffset(), 0);
    QCOMPARE(keyBytes(m_item, Qt::Key_PageUp, Qt::ShiftModifier, ""), QByteArray());
    QCOMPARE(m_item->scrollOffset(), 23);
    QWheelEvent wheel(QPointF(5, 5), m_item->mapToGlobal(QPointF(5, 5)), QPoint(), QPoint(0, 120),
        Qt::NoButton, Qt::NoModifier, Qt::NoScrollPhase, false);
    QCoreApplication::sendEvent(m_item, &wheel);
    QCOMPARE(m_item->scrollOffset(), 26);
    QCOMPARE(keyBytes(m_item, Qt::Key_PageDown, Qt::ShiftModifier, ""), QByteArray());
    QCOMPARE(m_item->scrollOffset(), 3);
    // New output keeps the view on the same lines while reading back.
    m_item->write("\r\nmore");
    QCOMPARE(m_item->scrollOffset(), 4);
    m_item->setScrollOffset(100000);
    QCOMPARE(m_item->scrollOffset(), s.scrollbackSize());
    QCOMPARE(keyBytes(m_item, Qt::Key_A, Qt::NoModifier, "a"), QByteArray("a"));
    QCOMPARE(m_item->scrollOffset(), 0);
    QVERIFY(offset.size() >= 4);
}

void TestTerminalItem::scrollbackLimit()
{
    TerminalScreen s(5, 20, 10);
    for (int i = 1; i <= 100; ++i)
        s.write(QByteArray("l") + QByteArray::number(i) + "\r\n");
    // Lines 1..95 scrolled off (the cursor sits on an empty sixth line); the newest 10 are kept.
    QCOMPARE(s.scrollbackSize(), 10);
    QCOMPARE(s.lineText(-1), QStringLiteral("l96"));
    QCOMPARE(s.lineText(-10), QStringLiteral("l87"));
    QCOMPARE(s.lineText(0), QStringLiteral("l97"));
}

// The text the item shows: view row r is the screen's row r - scrollOffset.
static QStringList visibleLines(const TerminalItem *item)
{
    QStringList lines;
    for (int row = 0; row < item->rows(); ++row)
        lines.append(item->screen().lineText(row - item->scrollOffset()));
    return lines;
}

// Once the scrollback is full (10 000 lines) its size stops changing: each new line drops the
// oldest. A view scrolled back still moves with the output and keeps showing the same text.
void TestTerminalItem::scrollbackFullKeepsTheView()
{
    const TerminalScreen &s = m_item->screen();
    QCOMPARE(s.scrollbackLimit(), 10000);
    QByteArray flood;
    for (int i = 1; i <= 10100; ++i)
        flood += "line " + QByteArray::number(i) + "\r\n";
    m_item->write(flood);
    QCOMPARE(s.scrollbackSize(), 10000);
    m_item->setScrollOffset(500);
    const QStringList reading = visibleLines(m_item);
    QCOMPARE(reading.first(), QStringLiteral("line 9578"));

    QSignalSpy offset(m_item, &TerminalItem::scrollOffsetChanged);
    for (int i = 1; i <= 30; ++i)
        m_item->write("more " + QByteArray::number(i) + "\r\n");
    QCOMPARE(s.scrollbackSize(), 10000);
    QCOMPARE(m_item->scrollOffset(), 530);
    QCOMPARE(visibleLines(m_item), reading);
    QCOMPARE(offset.size(), 30);
    // One write of many lines moves it once.
    m_item->write("a\r\nb\r\nc\r\n");
    QCOMPARE(m_item->scrollOffset(), 533);
    QCOMPARE(visibleLines(m_item), reading);
    QCOMPARE(offset.size(), 31);
    // At the live screen it stays there.
    m_item->setScrollOffset(0);
    m_item->write("live\r\n");
    QCOMPARE(m_item->scrollOffset(), 0);
    QCOMPARE(s.lineText(s.cursor().y() - 1), QStringLiteral("live"));
}

// The window title the program sets (OSC 0/2), notified once per change.
void TestTerminalItem::title()
{
    QSignalSpy changed(m_item, &TerminalItem::titleChanged);
    m_item->write("\x1b]2;first title\x07text");
    QCOMPARE(m_item->title(), QStringLiteral("first title"));
    QCOMPARE(changed.size(), 1);
    m_item->write("\x1b]2;first title\x07more text");
    QCOMPARE(changed.size(), 1);
    m_item->write("\x1b]0;second\x07");
    QCOMPARE(m_item->title(), QStringLiteral("second"));
    QCOMPARE(changed.size(), 2);
}

void TestTerminalItem::terminalAnswersQueries()
{
    // A program asking where the cursor is (DSR 6) gets the answer as input.
    QSignalSpy input(m_item, &TerminalItem::input);
    m_item->write("\x1b[3;7H\x1b[6n");
    QCOMPARE(input.size(), 1);
    QCOMPARE(input.at(0).at(0).toByteArray(), QByteArray("\x1b[3;7R"));
}

// write() only feeds libvterm: however many chunks arrive between two frames, one paint.
void TestTerminalItem::outputCoalescedPerFrame()
{
    QTRY_VERIFY(m_item->paintCount() > 0); // the first frame
    const quint64 before = m_item->paintCount();
    QByteArray chunk;
    for (int i = 0; i < 200; ++i)
        chunk += "\x1b[32mcoalesced\x1b[0m output line " + QByteArray::number(i) + "\r\n";
    for (int i = 0; i < 1000; ++i)
        m_item->write(chunk);
    QCOMPARE(m_item->paintCount(), before); // nothing painted inside write()
    QTRY_VERIFY(m_item->paintCount() > before);
    QCOMPARE(m_item->paintCount(), before + 1);
    QVERIFY(m_item->screen().lineText(23).startsWith(QStringLiteral("coalesced output line 199"))
        || m_item->screen().lineText(22).startsWith(QStringLiteral("coalesced output line 199")));
}

void TestTerminalItem::paintsColours()
{
    m_item->write("\x1b[41m    \x1b[0m\r\n\x1b[38;2;0;200;0m\xe2\x96\x88\xe2\x96\x88\x1b[0m");
    const quint64 before = m_item->paintCount();
    QTRY_VERIFY(m_item->paintCount() > before);
    const QImage image = m_window->grabWindow();
    QVERIFY(!image.isNull());
    const QSizeF cell = m_item->cellSize();
    const qreal dpr = image.devicePixelRatio();
    const auto pixel = [&](qreal x, qreal y) {
        const QPointF p = m_item->mapToScene(QPointF(x, y)) * dpr;
        return QColor(image.pixel(p.toPoint())).name();
    };
    QCOMPARE(pixel(cell.width() * 1.5, cell.height() * 0.5), QStringLiteral("#cd0000"));
    QCOMPARE(pixel(cell.width() * 6.5, cell.height() * 0.5), QStringLiteral("#101010"));
    // The full block in truecolor fills its cell's middle.
    QCOMPARE(pixel(cell.width() * 0.5, cell.height() * 1.5), QStringLiteral("#00c800"));
}

int main(int argc, char **argv)
{
    // The software scene graph: offscreen needs no GPU.
    qputenv("QT_QUICK_BACKEND", "software");
    QGuiApplication app(argc, argv);
    TestTerminalItem test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_terminalitem.moc"
