#include "terminalitem.h"

#include <QClipboard>
#include <QFontDatabase>
#include <QFontMetricsF>
#include <QGuiApplication>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QWheelEvent>

#include <algorithm>
#include <climits>
#include <cmath>

namespace jarvis::console {

namespace {
int modifiersOf(Qt::KeyboardModifiers m)
{
    int mods = TerminalScreen::NoModifier;
    if (m & Qt::ShiftModifier)
        mods |= TerminalScreen::Shift;
    if (m & Qt::AltModifier)
        mods |= TerminalScreen::Alt;
    if (m & Qt::ControlModifier)
        mods |= TerminalScreen::Ctrl;
    return mods;
}

// Qt's key -> libvterm's key; 0 when it is not a special key.
int specialKey(int key)
{
    switch (key) {
    case Qt::Key_Return:
    case Qt::Key_Enter:
        return TerminalScreen::Enter;
    case Qt::Key_Tab:
    case Qt::Key_Backtab:
        return TerminalScreen::Tab;
    case Qt::Key_Backspace:
        return TerminalScreen::Backspace;
    case Qt::Key_Escape:
        return TerminalScreen::Escape;
    case Qt::Key_Up:
        return TerminalScreen::Up;
    case Qt::Key_Down:
        return TerminalScreen::Down;
    case Qt::Key_Left:
        return TerminalScreen::Left;
    case Qt::Key_Right:
        return TerminalScreen::Right;
    case Qt::Key_Insert:
        return TerminalScreen::Insert;
    case Qt::Key_Delete:
        return TerminalScreen::Delete;
    case Qt::Key_Home:
        return TerminalScreen::Home;
    case Qt::Key_End:
        return TerminalScreen::End;
    case Qt::Key_PageUp:
        return TerminalScreen::PageUp;
    case Qt::Key_PageDown:
        return TerminalScreen::PageDown;
    default:
        if (key >= Qt::Key_F1 && key <= Qt::Key_F12)
            return TerminalScreen::F1 + (key - Qt::Key_F1);
        return 0;
    }
}
} // namespace

TerminalItem::TerminalItem(QQuickItem *parent)
    : QQuickPaintedItem(parent)
{
    setFlag(ItemAcceptsInputMethod, false);
    setFlag(ItemIsFocusScope, false);
    setAcceptedMouseButtons(Qt::LeftButton | Qt::MiddleButton);
    setActiveFocusOnTab(true);
    setOpaquePainting(true);
    setAntialiasing(false);
    m_screen.setOutputHandler([this](const QByteArray &bytes) { Q_EMIT input(bytes); });
    m_screen.setTitleHandler([this] { Q_EMIT titleChanged(); });
    QFont f = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    f.setStyleHint(QFont::Monospace);
    setFont(f);
}

TerminalItem::~TerminalItem() = default;

void TerminalItem::setFont(const QFont &font)
{
    m_font = font;
    const QFontMetricsF fm(m_font);
    m_cellSize = QSizeF(std::max<qreal>(1, std::ceil(fm.horizontalAdvance(QLatin1Char('M')))),
        std::max<qreal>(1, std::ceil(fm.height())));
    m_ascent = fm.ascent();
    Q_EMIT fontChanged();
    updateGeometryInCells();
    scheduleFrame();
}

void TerminalItem::geometryChange(const QRectF &newGeometry, const QRectF &oldGeometry)
{
    QQuickPaintedItem::geometryChange(newGeometry, oldGeometry);
    updateGeometryInCells();
}

void TerminalItem::updateGeometryInCells()
{
    if (width() <= 0 || height() <= 0)
        return;
    const int cols = std::max(1, int(width() / m_cellSize.width()));
    const int rows = std::max(1, int(height() / m_cellSize.height()));
    if (cols == m_screen.cols() && rows == m_screen.rows())
        return;
    m_screen.resize(rows, cols);
    clearSelection();
    setScrollOffset(m_scrollOffset); // clamp
    Q_EMIT terminalResized(cols, rows);
    scheduleFrame();
}

void TerminalItem::scheduleFrame()
{
    update(); // coalesced by Qt Quick: one paint at the next frame however often it is called
}

void TerminalItem::write(const QByteArray &output)
{
    if (output.isEmpty())
        return;
    const int sizeBefore = m_screen.scrollbackSize();
    const quint64 pushedBefore = m_screen.pushedLines();
    m_screen.write(output);
    const quint64 pushed = m_screen.pushedLines() - pushedBefore;
    if (m_hasSelection)
        clearSelection(); // the text under it moved
    // While the user reads back, the view moves with every line pushed into the scrollback, so
    // it keeps showing the same text (also once the scrollback is full and its size no longer
    // changes: each push then drops the oldest line).
    const int offset = m_scrollOffset;
    if (offset > 0 && pushed > 0)
        setScrollOffset(int(std::min<quint64>(quint64(offset) + pushed, quint64(INT_MAX))));
    if (m_scrollOffset == offset && m_screen.scrollbackSize() != sizeBefore)
        Q_EMIT scrollOffsetChanged(); // scrollbackSize's notification
    scheduleFrame();
}

void TerminalItem::reset()
{
    m_screen.write(QByteArrayLiteral("\x1b"
                                     "c"));
    clearSelection();
    setScrollOffset(0);
    scheduleFrame();
}

void TerminalItem::setScrollOffset(int lines)
{
    lines = std::clamp(lines, 0, m_screen.altScreen() ? 0 : m_screen.scrollbackSize());
    if (lines == m_scrollOffset)
        return;
    m_scrollOffset = lines;
    Q_EMIT scrollOffsetChanged();
    scheduleFrame();
}

void TerminalItem::sendInput(const QByteArray &bytes)
{
    if (bytes.isEmpty())
        return;
    setScrollOffset(0);
    Q_EMIT input(bytes);
}

void TerminalItem::paste(const QString &text)
{
    if (text.isEmpty())
        return;
    sendInput(m_screen.paste(text));
}

void TerminalItem::pasteFromClipboard()
{
    if (QClipboard *clipboard = QGuiApplication::clipboard())
        paste(clipboard->text());
}

void TerminalItem::copy()
{
    QClipboard *clipboard = QGuiApplication::clipboard();
    if (clipboard && m_hasSelection)
        clipboard->setText(selectedText());
}

void TerminalItem::keyPressEvent(QKeyEvent *event)
{
    const Qt::KeyboardModifiers qm = event->modifiers();
    const int key = event->key();
    const bool shift = qm & Qt::ShiftModifier;
    const bool ctrl = qm & Qt::ControlModifier;
    // The terminal's own keys.
    if (shift && !ctrl && (key == Qt::Key_PageUp || key == Qt::Key_PageDown)) {
        const int page = std::max(1, rows() - 1);
        setScrollOffset(m_scrollOffset + (key == Qt::Key_PageUp ? page : -page));
        return;
    }
    if ((shift && key == Qt::Key_Insert) || (ctrl && shift && key == Qt::Key_V)) {
        pasteFromClipboard();
        return;
    }
    if (ctrl && shift && key == Qt::Key_C) {
        copy();
        return;
    }

    int mods = modifiersOf(qm & ~Qt::KeypadModifier);
    if (const int special = specialKey(key)) {
        if (key == Qt::Key_Backtab)
            mods |= TerminalScreen::Shift;
        sendInput(m_screen.key(special, mods));
        return;
    }
    if (ctrl && key >= Qt::Key_A && key <= Qt::Key_Z) {
        // Qt reports the control character as text; libvterm wants the letter and the modifier.
        sendInput(m_screen.character(char32_t('a' + (key - Qt::Key_A)), mods));
        return;
    }
    if (ctrl && key >= 0x20 && key < 0x7f) {
        sendInput(m_screen.character(char32_t(key), mods));
        return;
    }
    const QString text = event->text();
    if (text.isEmpty()) {
        event->ignore();
        return;
    }
    QByteArray bytes;
    for (const char32_t c : text.toUcs4()) {
        if (c < 0x20 || c == 0x7f) // a control character Qt produced (e.g. from a dead key)
            bytes.append(char(c));
        else
            bytes.append(m_screen.character(c, mods & ~TerminalScreen::Ctrl));
    }
    sendInput(bytes);
}

QPoint TerminalItem::cellAt(QPointF position) const
{
    const int col = std::clamp(int(position.x() / m_cellSize.width()), 0, cols() - 1);
    const int row = std::clamp(int(position.y() / m_cellSize.height()), 0, rows() - 1);
    return QPoint(col, row - m_scrollOffset);
}

void TerminalItem::select(QPoint from, QPoint to)
{
    m_selAnchor = from;
    m_selEnd = to;
    m_hasSelection = true;
    Q_EMIT selectionChanged();
    scheduleFrame();
}

void TerminalItem::clearSelection()
{
    m_selecting = false;
    if (!m_hasSelection)
        return;
    m_hasSelection = false;
    Q_EMIT selectionChanged();
    scheduleFrame();
}

QString TerminalItem::selectedText() const
{
    return m_hasSelection ? m_screen.text(m_selAnchor, m_selEnd) : QString();
}

bool TerminalItem::isSelected(int row, int col) const
{
    if (!m_hasSelection)
        return false;
    QPoint a = m_selAnchor;
    QPoint b = m_selEnd;
    if (b.y() < a.y() || (b.y() == a.y() && b.x() < a.x()))
        std::swap(a, b);
    if (row < a.y() || row > b.y())
        return false;
    if (row == a.y() && col < a.x())
        return false;
    if (row == b.y() && col > b.x())
        return false;
    return true;
}

void TerminalItem::mousePressEvent(QMouseEvent *event)
{
    forceActiveFocus(Qt::MouseFocusReason);
    if (event->button() == Qt::MiddleButton) {
        if (QClipboard *clipboard = QGuiApplication::clipboard()) {
            paste(clipboard->text(
                clipboard->supportsSelection() ? QClipboard::Selection : QClipboard::Clipboard));
        }
        return;
    }
    clearSelection();
    m_selecting = true;
    m_selAnchor = cellAt(event->position());
    m_selEnd = m_selAnchor;
}

void TerminalItem::mouseMoveEvent(QMouseEvent *event)
{
    if (!m_selecting)
        return;
    const QPoint cell = cellAt(event->position());
    if (!m_hasSelection && cell == m_selAnchor)
        return;
    select(m_selAnchor, cell);
}

void TerminalItem::mouseReleaseEvent(QMouseEvent *)
{
    m_selecting = false;
    QClipboard *clipboard = QGuiApplication::clipboard();
    if (m_hasSelection && clipboard && clipboard->supportsSelection())
        clipboard->setText(selectedText(), QClipboard::Selection);
}

void TerminalItem::mouseDoubleClickEvent(QMouseEvent *event)
{
    const QPoint at = cellAt(event->position());
    const auto isWord = [this, &at](int col) {
        const QString t = m_screen.cell(at.y(), col).text;
        return !t.isEmpty() && !t.at(0).isSpace();
    };
    if (!isWord(at.x()))
        return;
    int first = at.x();
    int last = at.x();
    while (first > 0 && isWord(first - 1))
        --first;
    while (last < cols() - 1 && isWord(last + 1))
        ++last;
    select(QPoint(first, at.y()), QPoint(last, at.y()));
    m_selecting = false;
}

void TerminalItem::wheelEvent(QWheelEvent *event)
{
    const int steps = event->angleDelta().y() / 40; // 3 lines per notch
    if (steps == 0)
        return;
    setScrollOffset(m_scrollOffset + steps);
}

void TerminalItem::focusInEvent(QFocusEvent *event)
{
    QQuickPaintedItem::focusInEvent(event);
    scheduleFrame();
}

void TerminalItem::focusOutEvent(QFocusEvent *event)
{
    QQuickPaintedItem::focusOutEvent(event);
    scheduleFrame();
}

void TerminalItem::paint(QPainter *painter)
{
    ++m_paints;
    const qreal cw = m_cellSize.width();
    const qreal ch = m_cellSize.height();
    const QRgb defaultBg = m_screen.defaultBackground();
    painter->fillRect(QRectF(0, 0, width(), height()), QColor::fromRgb(defaultBg));

    QFont plain = m_font;
    QFont bold = m_font;
    bold.setBold(true);
    QFont italic = m_font;
    italic.setItalic(true);
    QFont boldItalic = bold;
    boldItalic.setItalic(true);

    const int rowCount = rows();
    const int colCount = cols();
    QString run;
    for (int viewRow = 0; viewRow < rowCount; ++viewRow) {
        const int row = viewRow - m_scrollOffset;
        const qreal y = viewRow * ch;
        int col = 0;
        while (col < colCount) {
            TerminalCell c = m_screen.cell(row, col);
            if (c.width == 0) {
                ++col;
                continue;
            }
            const bool selected = isSelected(row, col);
            QRgb fg = c.fg;
            QRgb bg = c.bg;
            if (c.inverse != selected)
                std::swap(fg, bg);
            // A run: following cells of the same look, single width (a wide character is drawn
            // alone so its two cells stay aligned whatever the fallback font's advance).
            const int start = col;
            run = c.text.isEmpty() ? QStringLiteral(" ") : c.text;
            int span = c.width;
            col += c.width;
            if (c.width == 1) {
                while (col < colCount) {
                    const TerminalCell n = m_screen.cell(row, col);
                    if (n.width != 1 || n.fg != c.fg || n.bg != c.bg || n.bold != c.bold
                        || n.italic != c.italic || n.underline != c.underline
                        || n.inverse != c.inverse || isSelected(row, col) != selected)
                        break;
                    run += n.text.isEmpty() ? QStringLiteral(" ") : n.text;
                    ++span;
                    ++col;
                }
            }
            const QRectF rect(start * cw, y, span * cw, ch);
            if (bg != defaultBg)
                painter->fillRect(rect, QColor::fromRgb(bg));
            if (!run.trimmed().isEmpty() || c.underline) {
                painter->setFont(
                    c.bold ? (c.italic ? boldItalic : bold) : (c.italic ? italic : plain));
                painter->setPen(QColor::fromRgb(fg));
                if (!run.trimmed().isEmpty())
                    painter->drawText(QPointF(rect.x(), y + m_ascent), run);
                if (c.underline)
                    painter->drawLine(
                        QPointF(rect.left(), y + ch - 1), QPointF(rect.right(), y + ch - 1));
            }
        }
    }

    // The cursor: a block when focused, an outline otherwise.
    const QPoint cur = m_screen.cursor();
    const int cursorViewRow = cur.y() + m_scrollOffset;
    if (m_screen.cursorVisible() && cursorViewRow < rowCount) {
        const TerminalCell c = m_screen.cell(cur.y(), cur.x());
        const QRectF rect(cur.x() * cw, cursorViewRow * ch, std::max(1, c.width) * cw, ch);
        const QColor cursorColor = QColor::fromRgb(m_screen.defaultForeground());
        if (hasActiveFocus()) {
            painter->fillRect(rect, cursorColor);
            if (!c.text.isEmpty()) {
                painter->setFont(c.bold ? bold : plain);
                painter->setPen(QColor::fromRgb(defaultBg));
                painter->drawText(QPointF(rect.x(), rect.y() + m_ascent), c.text);
            }
        } else {
            painter->setPen(cursorColor);
            painter->setBrush(Qt::NoBrush);
            painter->drawRect(rect.adjusted(0.5, 0.5, -0.5, -0.5));
        }
    }
}

} // namespace jarvis::console
