#pragma once

#include <QByteArray>
#include <QPoint>
#include <QRgb>
#include <QString>

#include <deque>
#include <functional>
#include <vector>

#include <vterm.h>

namespace jarvis::console {

// One cell as drawn: its character(s), colours already resolved to RGB (16/256 colours through
// the xterm palette, truecolor as sent, the defaults as the screen's default colours) and
// attributes. `width` is 2 for the left half of a wide character (CJK, emoji), 0 for its right
// half (which has no text), 1 otherwise.
struct TerminalCell
{
    QString text; // empty for a blank cell and for the right half of a wide character
    QRgb fg = 0;
    QRgb bg = 0;
    bool defaultFg = true;
    bool defaultBg = true;
    bool bold = false;
    bool underline = false;
    bool italic = false;
    bool inverse = false;
    int width = 1;
};

// A VT/xterm screen backed by libvterm: feed it the shell's output, read cells, cursor, the
// alternate screen and the scrollback ring (lines libvterm scrolled off the top of the main
// screen, oldest dropped beyond the limit); keys and pastes become the bytes the shell must get,
// following the modes the application set (application cursor keys, bracketed paste).
// libvterm 0.1.4 does not reflow on resize: growing the height pulls lines back from the
// scrollback, shrinking it pushes the top lines into it, and longer lines are cut.
// Not a QObject; single-threaded.
class TerminalScreen
{
public:
    enum Modifier { NoModifier = 0, Shift = 1, Alt = 2, Ctrl = 4 };
    enum Key {
        Enter = 1,
        Tab,
        Backspace,
        Escape,
        Up,
        Down,
        Left,
        Right,
        Insert,
        Delete,
        Home,
        End,
        PageUp,
        PageDown,
        F1 = 257 // F1..F12 = F1 + 0..11
    };

    explicit TerminalScreen(int rows = 24, int cols = 80, int scrollbackLimit = 10000);
    ~TerminalScreen();
    TerminalScreen(const TerminalScreen &) = delete;
    TerminalScreen &operator=(const TerminalScreen &) = delete;

    // Where the bytes for the shell go (keys, pastes and the terminal's own answers such as the
    // cursor position report).
    void setOutputHandler(std::function<void(const QByteArray &)> handler);

    void write(const char *bytes, qsizetype size);
    void write(const QByteArray &bytes) { write(bytes.constData(), bytes.size()); }

    int rows() const { return m_rows; }
    int cols() const { return m_cols; }
    void resize(int rows, int cols);

    // row in 0..rows-1 is the screen; row -1 is the newest scrollback line, -scrollbackSize() the
    // oldest. Outside: a blank cell.
    TerminalCell cell(int row, int col) const;
    // The text of one line (scrollback rows as in cell()), trailing blanks removed.
    QString lineText(int row) const;
    // The text between two cell positions (inclusive, reading order; rows as in cell()), lines
    // joined with "\n", trailing blanks of each line removed.
    QString text(QPoint from, QPoint to) const;

    QPoint cursor() const { return m_cursor; } // x = column, y = row
    bool cursorVisible() const { return m_cursorVisible; }
    bool altScreen() const { return m_altScreen; }
    QString title() const { return m_title; }
    int scrollbackSize() const { return int(m_scrollback.size()); }
    int scrollbackLimit() const { return m_scrollbackLimit; }

    // Lines pushed into the scrollback so far (ever growing; once the scrollback is full each
    // push drops the oldest line, so scrollbackSize() stops changing while this still counts):
    // a view scrolled back moves by the difference to keep showing the same text.
    quint64 pushedLines() const { return m_pushedLines; }
    // Called after write() when the program set another window title (not during libvterm's
    // parsing, so the handler may use the screen).
    void setTitleHandler(std::function<void()> handler) { m_titleHandler = std::move(handler); }

    // Keyboard: through vterm_keyboard_*, so modes like application cursor keys apply.
    QByteArray key(int key, int modifiers);
    QByteArray character(char32_t ucs4, int modifiers);
    // The pasted text, wrapped in ESC[200~ ... ESC[201~ when the application enabled bracketed
    // paste; "\n" and "\r\n" become "\r" as a terminal's Enter.
    QByteArray paste(const QString &text);

    QRgb defaultForeground() const { return m_defaultFg; }
    QRgb defaultBackground() const { return m_defaultBg; }
    // The xterm 256-colour palette (0..15 the ANSI colours, a 6x6x6 cube, a grey ramp).
    static QRgb paletteColor(int index);

private:
    struct Line
    {
        std::vector<VTermScreenCell> cells;
    };
    friend struct TerminalScreenCallbacks;
    QByteArray takeOutput();
    TerminalCell convert(const VTermScreenCell &c) const;

    VTerm *m_vt = nullptr;
    VTermScreen *m_screen = nullptr;
    int m_rows;
    int m_cols;
    int m_scrollbackLimit;
    std::deque<Line> m_scrollback; // front = oldest
    QPoint m_cursor;
    bool m_cursorVisible = true;
    bool m_altScreen = false;
    bool m_capture = false; // collecting output for key()/paste()
    quint64 m_pushedLines = 0;
    QString m_title;
    bool m_titleChanged = false; // since the last write() told m_titleHandler
    std::function<void()> m_titleHandler;
    QByteArray m_captured;
    std::function<void(const QByteArray &)> m_output;
    QRgb m_defaultFg;
    QRgb m_defaultBg;
};

} // namespace jarvis::console
