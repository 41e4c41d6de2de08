#include "terminalscreen.h"

#include <QtGlobal>

#include <algorithm>
#include <cstring>
#include <utility>

namespace jarvis::console {

namespace {
constexpr uint32_t WideContinuation = 0xFFFFFFFFu; // libvterm's right half of a wide character

bool blankCell(const VTermScreenCell &c)
{
    return c.chars[0] == 0 && VTERM_COLOR_IS_DEFAULT_BG(&c.bg) && !c.attrs.reverse;
}

QString cellText(const VTermScreenCell &c)
{
    QString s;
    for (int i = 0; i < VTERM_MAX_CHARS_PER_CELL && c.chars[i] != 0; ++i) {
        if (c.chars[i] == WideContinuation)
            return {};
        const char32_t ch = c.chars[i];
        s.append(QString::fromUcs4(&ch, 1));
    }
    return s;
}
} // namespace

struct TerminalScreenCallbacks
{
    static int moveCursor(VTermPos pos, VTermPos, int visible, void *user)
    {
        auto *s = static_cast<TerminalScreen *>(user);
        s->m_cursor = QPoint(pos.col, pos.row);
        s->m_cursorVisible = visible != 0;
        return 1;
    }
    static int setTermProp(VTermProp prop, VTermValue *val, void *user)
    {
        auto *s = static_cast<TerminalScreen *>(user);
        switch (prop) {
        case VTERM_PROP_CURSORVISIBLE:
            s->m_cursorVisible = val->boolean != 0;
            break;
        case VTERM_PROP_ALTSCREEN:
            s->m_altScreen = val->boolean != 0;
            break;
        case VTERM_PROP_TITLE: {
            const QString title = QString::fromUtf8(val->string ? val->string : "");
            if (title != s->m_title) {
                s->m_title = title;
                s->m_titleChanged = true;
            }
            break;
        }
        default:
            break;
        }
        return 1;
    }
    static int pushLine(int cols, const VTermScreenCell *cells, void *user)
    {
        auto *s = static_cast<TerminalScreen *>(user);
        if (s->m_scrollbackLimit <= 0)
            return 0;
        int used = cols;
        while (used > 0 && blankCell(cells[used - 1]))
            --used;
        TerminalScreen::Line line;
        if (s->m_scrollback.size() >= size_t(s->m_scrollbackLimit)) {
            line = std::move(s->m_scrollback.front()); // reuse the oldest line's storage
            s->m_scrollback.pop_front();
        }
        line.cells.assign(cells, cells + used);
        s->m_scrollback.push_back(std::move(line));
        ++s->m_pushedLines;
        return 1;
    }
    static int popLine(int cols, VTermScreenCell *cells, void *user)
    {
        auto *s = static_cast<TerminalScreen *>(user);
        if (s->m_scrollback.empty())
            return 0;
        const TerminalScreen::Line line = std::move(s->m_scrollback.back());
        s->m_scrollback.pop_back();
        const int n = std::min<int>(cols, int(line.cells.size()));
        std::copy(line.cells.begin(), line.cells.begin() + n, cells);
        VTermScreenCell blank;
        std::memset(&blank, 0, sizeof blank);
        blank.width = 1;
        vterm_state_get_default_colors(vterm_obtain_state(s->m_vt), &blank.fg, &blank.bg);
        for (int i = n; i < cols; ++i)
            cells[i] = blank;
        return 1;
    }
    static void output(const char *bytes, size_t len, void *user)
    {
        auto *s = static_cast<TerminalScreen *>(user);
        if (s->m_capture) {
            s->m_captured.append(bytes, qsizetype(len));
        } else if (s->m_output) {
            s->m_output(QByteArray(bytes, qsizetype(len)));
        }
    }
};

namespace {
// Cells are read when a frame is painted: no damage callbacks.
const VTermScreenCallbacks screenCallbacks = {
    nullptr, // damage
    nullptr, // moverect
    &TerminalScreenCallbacks::moveCursor,
    &TerminalScreenCallbacks::setTermProp,
    nullptr, // bell
    nullptr, // resize
    &TerminalScreenCallbacks::pushLine,
    &TerminalScreenCallbacks::popLine,
};
} // namespace

TerminalScreen::TerminalScreen(int rows, int cols, int scrollbackLimit)
    : m_rows(std::max(1, rows))
    , m_cols(std::max(1, cols))
    , m_scrollbackLimit(std::max(0, scrollbackLimit))
    , m_defaultFg(qRgb(0xd0, 0xd0, 0xd0))
    , m_defaultBg(qRgb(0x10, 0x10, 0x10))
{
    m_vt = vterm_new(m_rows, m_cols);
    vterm_set_utf8(m_vt, 1);
    vterm_output_set_callback(m_vt, &TerminalScreenCallbacks::output, this);
    m_screen = vterm_obtain_screen(m_vt);
    vterm_screen_set_callbacks(m_screen, &screenCallbacks, this);
    vterm_screen_enable_altscreen(m_screen, 1);
    VTermColor fg;
    VTermColor bg;
    vterm_color_rgb(&fg, qRed(m_defaultFg), qGreen(m_defaultFg), qBlue(m_defaultFg));
    vterm_color_rgb(&bg, qRed(m_defaultBg), qGreen(m_defaultBg), qBlue(m_defaultBg));
    VTermState *state = vterm_obtain_state(m_vt);
    vterm_state_set_default_colors(state, &fg, &bg);
    vterm_screen_reset(m_screen, 1);
}

TerminalScreen::~TerminalScreen()
{
    vterm_free(m_vt);
}

void TerminalScreen::setOutputHandler(std::function<void(const QByteArray &)> handler)
{
    m_output = std::move(handler);
}

void TerminalScreen::write(const char *bytes, qsizetype size)
{
    if (size <= 0)
        return;
    // The terminal's answers to queries (DA, DSR...) in this output go out as one piece, not one
    // signal per query.
    m_capture = true;
    vterm_input_write(m_vt, bytes, size_t(size));
    const QByteArray answers = takeOutput();
    if (!answers.isEmpty() && m_output)
        m_output(answers);
    if (std::exchange(m_titleChanged, false) && m_titleHandler)
        m_titleHandler();
}

void TerminalScreen::resize(int rows, int cols)
{
    rows = std::max(1, rows);
    cols = std::max(1, cols);
    if (rows == m_rows && cols == m_cols)
        return;
    m_rows = rows;
    m_cols = cols;
    vterm_set_size(m_vt, rows, cols);
    VTermPos pos;
    vterm_state_get_cursorpos(vterm_obtain_state(m_vt), &pos);
    m_cursor = QPoint(pos.col, pos.row);
}

QRgb TerminalScreen::paletteColor(int index)
{
    static const QRgb ansi[16] = {qRgb(0x00, 0x00, 0x00), qRgb(0xcd, 0x00, 0x00),
        qRgb(0x00, 0xcd, 0x00), qRgb(0xcd, 0xcd, 0x00), qRgb(0x00, 0x00, 0xee),
        qRgb(0xcd, 0x00, 0xcd), qRgb(0x00, 0xcd, 0xcd), qRgb(0xe5, 0xe5, 0xe5),
        qRgb(0x7f, 0x7f, 0x7f), qRgb(0xff, 0x00, 0x00), qRgb(0x00, 0xff, 0x00),
        qRgb(0xff, 0xff, 0x00), qRgb(0x5c, 0x5c, 0xff), qRgb(0xff, 0x00, 0xff),
        qRgb(0x00, 0xff, 0xff), qRgb(0xff, 0xff, 0xff)};
    index = std::clamp(index, 0, 255);
    if (index < 16)
        return ansi[index];
    if (index < 232) {
        static const int ramp[6] = {0x00, 0x5f, 0x87, 0xaf, 0xd7, 0xff};
        const int i = index - 16;
        return qRgb(ramp[i / 36], ramp[(i / 6) % 6], ramp[i % 6]);
    }
    const int grey = 8 + (index - 232) * 10;
    return qRgb(grey, grey, grey);
}

TerminalCell TerminalScreen::convert(const VTermScreenCell &c) const
{
    TerminalCell cell;
    if (c.chars[0] == WideContinuation) {
        cell.width = 0;
    } else {
        cell.text = cellText(c);
        cell.width = c.width == 2 ? 2 : 1;
    }
    const auto rgb = [](const VTermColor &col, QRgb fallback, bool isDefault) {
        if (isDefault)
            return fallback;
        if (VTERM_COLOR_IS_INDEXED(&col))
            return paletteColor(col.indexed.idx);
        return qRgb(col.rgb.red, col.rgb.green, col.rgb.blue);
    };
    cell.defaultFg = VTERM_COLOR_IS_DEFAULT_FG(&c.fg);
    cell.defaultBg = VTERM_COLOR_IS_DEFAULT_BG(&c.bg);
    cell.fg = rgb(c.fg, m_defaultFg, cell.defaultFg);
    cell.bg = rgb(c.bg, m_defaultBg, cell.defaultBg);
    cell.bold = c.attrs.bold;
    cell.underline = c.attrs.underline != VTERM_UNDERLINE_OFF;
    cell.italic = c.attrs.italic;
    cell.inverse = c.attrs.reverse;
    return cell;
}

TerminalCell TerminalScreen::cell(int row, int col) const
{
    TerminalCell blank;
    blank.fg = m_defaultFg;
    blank.bg = m_defaultBg;
    if (col < 0 || col >= m_cols || row >= m_rows || row < -scrollbackSize())
        return blank;
    if (row < 0) {
        const Line &line = m_scrollback[m_scrollback.size() + size_t(row)];
        if (size_t(col) >= line.cells.size())
            return blank;
        return convert(line.cells[size_t(col)]);
    }
    VTermScreenCell c;
    if (!vterm_screen_get_cell(m_screen, VTermPos {row, col}, &c))
        return blank;
    return convert(c);
}

QString TerminalScreen::lineText(int row) const
{
    return text(QPoint(0, row), QPoint(m_cols - 1, row));
}

QString TerminalScreen::text(QPoint from, QPoint to) const
{
    if (to.y() < from.y() || (to.y() == from.y() && to.x() < from.x()))
        std::swap(from, to);
    QString out;
    for (int row = from.y(); row <= to.y(); ++row) {
        const int first = row == from.y() ? std::max(0, from.x()) : 0;
        const int last = row == to.y() ? std::min(m_cols - 1, to.x()) : m_cols - 1;
        QString line;
        for (int col = first; col <= last; ++col) {
            const TerminalCell c = cell(row, col);
            if (c.width == 0)
                continue;
            line += c.text.isEmpty() ? QStringLiteral(" ") : c.text;
        }
        while (line.endsWith(QLatin1Char(' ')))
            line.chop(1);
        if (row != from.y())
            out += QLatin1Char('\n');
        out += line;
    }
    return out;
}

QByteArray TerminalScreen::takeOutput()
{
    m_capture = false;
    return std::exchange(m_captured, QByteArray());
}

QByteArray TerminalScreen::key(int key, int modifiers)
{
    m_capture = true;
    vterm_keyboard_key(m_vt, VTermKey(key), VTermModifier(modifiers & VTERM_ALL_MODS_MASK));
    return takeOutput();
}

QByteArray TerminalScreen::character(char32_t ucs4, int modifiers)
{
    m_capture = true;
    vterm_keyboard_unichar(m_vt, uint32_t(ucs4), VTermModifier(modifiers & VTERM_ALL_MODS_MASK));
    return takeOutput();
}

QByteArray TerminalScreen::paste(const QString &text)
{
    QString normalized = text;
    normalized.replace(QLatin1String("\r\n"), QLatin1String("\r"));
    normalized.replace(QLatin1Char('\n'), QLatin1Char('\r'));
    // The end marker inside the text would end the paste early and run the rest as typed.
    normalized.remove(QStringLiteral("\x1b[201~"));
    m_capture = true;
    vterm_keyboard_start_paste(m_vt);
    m_captured.append(normalized.toUtf8());
    vterm_keyboard_end_paste(m_vt);
    return takeOutput();
}

} // namespace jarvis::console
