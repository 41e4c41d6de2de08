#pragma once

#include "terminalscreen.h"

#include <QFont>
#include <QPoint>
#include <QQuickPaintedItem>
#include <QSizeF>

namespace jarvis::console {

// A terminal in Qt Quick: draws a TerminalScreen (libvterm) and turns keys, pastes and the
// mouse into what the shell must get.
// - write() only feeds libvterm and asks for a frame; the painting happens once per frame, so a
//   flood of output costs one paint per frame, not one per chunk.
// - Keyboard: Ctrl combinations, arrows (application cursor mode when the program set it),
//   Home/End, PgUp/PgDn, Insert/Delete, F1-F12, Alt as ESC prefix, Enter/Backspace/Tab/Escape,
//   all through libvterm (signal input). Ctrl+Shift+C copies, Ctrl+Shift+V and Shift+Insert
//   paste (bracketed when the program enabled it), Shift+PgUp/PgDn and the wheel scroll back.
// - Mouse: press and drag selects (copied to the X11 selection where there is one), double
//   click selects a word.
// - Its size in cells follows its size in pixels and the font (cellSize); terminalResized is
//   emitted when cols or rows change.
class TerminalItem : public QQuickPaintedItem
{
    Q_OBJECT
    Q_PROPERTY(int cols READ cols NOTIFY terminalResized)
    Q_PROPERTY(int rows READ rows NOTIFY terminalResized)
    Q_PROPERTY(QFont font READ font WRITE setFont NOTIFY fontChanged)
    Q_PROPERTY(QSizeF cellSize READ cellSize NOTIFY fontChanged)
    Q_PROPERTY(QString title READ title NOTIFY titleChanged)
    Q_PROPERTY(int scrollOffset READ scrollOffset WRITE setScrollOffset NOTIFY scrollOffsetChanged)
    Q_PROPERTY(int scrollbackSize READ scrollbackSize NOTIFY scrollOffsetChanged)
    Q_PROPERTY(bool hasSelection READ hasSelection NOTIFY selectionChanged)
    Q_PROPERTY(QString selectedText READ selectedText NOTIFY selectionChanged)

public:
    explicit TerminalItem(QQuickItem *parent = nullptr);
    ~TerminalItem() override;

    int cols() const { return m_screen.cols(); }
    int rows() const { return m_screen.rows(); }
    QFont font() const { return m_font; }
    void setFont(const QFont &font);
    QSizeF cellSize() const { return m_cellSize; }
    QString title() const { return m_screen.title(); }

    // Lines scrolled back from the live screen (0 = the live screen).
    int scrollOffset() const { return m_scrollOffset; }
    void setScrollOffset(int lines);
    int scrollbackSize() const { return m_screen.scrollbackSize(); }

    bool hasSelection() const { return m_hasSelection; }
    QString selectedText() const;
    // Selects from one cell to another (rows as TerminalScreen::cell: negative = scrollback).
    void select(QPoint from, QPoint to);
    Q_INVOKABLE void clearSelection();

    // The screen, for reading cells (tests, accessibility).
    const TerminalScreen &screen() const { return m_screen; }

    // Frames painted so far (the benchmark counts them).
    quint64 paintCount() const { return m_paints; }

    void paint(QPainter *painter) override;

public Q_SLOTS:
    // Shell output to show.
    void write(const QByteArray &output);
    // Sends the text as a paste (bracketed when the program enabled it).
    void paste(const QString &text);
    void pasteFromClipboard();
    void copy();
    // Clears the screen and the scrollback (a new session).
    void reset();

Q_SIGNALS:
    // Bytes for the shell: keys, pastes, the terminal's answers to queries.
    void input(const QByteArray &bytes);
    void terminalResized(int cols, int rows);
    void fontChanged();
    void titleChanged();
    void scrollOffsetChanged();
    void selectionChanged();

protected:
    void geometryChange(const QRectF &newGeometry, const QRectF &oldGeometry) override;
    void keyPressEvent(QKeyEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void mouseReleaseEvent(QMouseEvent *event) override;
    void mouseDoubleClickEvent(QMouseEvent *event) override;
    void wheelEvent(QWheelEvent *event) override;
    void focusInEvent(QFocusEvent *event) override;
    void focusOutEvent(QFocusEvent *event) override;

private:
    void updateGeometryInCells();
    void scheduleFrame();
    void sendInput(const QByteArray &bytes);
    QPoint cellAt(QPointF position) const; // screen row (negative = scrollback)
    bool isSelected(int row, int col) const;

    TerminalScreen m_screen;
    QFont m_font;
    QSizeF m_cellSize;
    qreal m_ascent = 0;
    int m_scrollOffset = 0;
    bool m_hasSelection = false;
    bool m_selecting = false;
    QPoint m_selAnchor;
    QPoint m_selEnd;
    quint64 m_paints = 0;
};

} // namespace jarvis::console
