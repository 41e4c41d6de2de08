#pragma once

#include <QAbstractListModel>
#include <QHash>
#include <QList>
#include <QVariantMap>

#include <algorithm>
#include <functional>
#include <type_traits>
#include <utility>

namespace jarvis::console {

// The base of the console's list models: a `count` property, and the one place where a snapshot
// (the full list the server sends at every poll) is applied to the rows as a diff by key.
//
// applySnapshot() makes `rows` equal to `incoming`, in the snapshot's order, with the fewest
// structural signals it can find cheaply: an empty model gets the whole snapshot in one
// insertion; otherwise rows whose key vanished are removed (one beginRemoveRows per contiguous
// run), new keys are inserted where the snapshot has them (one beginInsertRows per run), a row
// the snapshot moved is moved (beginMoveRows), and a row that is still there is updated in place
// through `update`, which returns the roles that changed; those become dataChanged for exactly
// those roles (adjacent rows with the same roles share one signal). Never a model reset. A
// snapshot in the same order as the rows (every poll of an unchanged cluster) costs one pass
// with no hashing. Later duplicates of a key are ignored.
class SnapshotListModel : public QAbstractListModel
{
    Q_OBJECT
    Q_PROPERTY(int count READ count NOTIFY countChanged)
public:
    using QAbstractListModel::QAbstractListModel;

    int count() const { return rowCount(); }

    // What the *Fraction roles show: part / whole clamped to 0..1 (a guest over its memory limit
    // is full, not 130 % full); 0 when whole is not positive or the quotient is not a number.
    static double fraction(double part, double whole)
    {
        if (!(whole > 0))
            return 0.0;
        const double f = part / whole;
        return f >= 0 ? std::min(f, 1.0) : 0.0; // NaN fails f >= 0
    }

Q_SIGNALS:
    void countChanged();

protected:
    // Every role of `row` by its QML name (roleNames()), as the models' get() return it; empty
    // when there is no such row.
    QVariantMap rowToMap(int row) const
    {
        if (row < 0 || row >= rowCount())
            return {};
        QVariantMap out;
        const QModelIndex at = index(row);
        const QHash<int, QByteArray> names = roleNames();
        for (auto it = names.cbegin(); it != names.cend(); ++it)
            out.insert(QString::fromLatin1(it.value()), data(at, it.key()));
        return out;
    }

    // keyOf(const Row &) and keyOf(const Fresh &) -> Key (hashable, ==); update(Row &current,
    // Fresh &&fresh) -> QList<int> moves what the snapshot says into `current` (keeping the row's
    // own state: history, busy) and returns the roles whose values changed (empty: nothing did);
    // make(Fresh &&) -> Row makes a new row (by default the fresh value itself, when Row is
    // Fresh). Returns true when rows were inserted, removed or moved (a row's position may have
    // changed).
    template<typename Row, typename Fresh, typename KeyOf, typename Update,
        typename Make = std::identity>
    bool applySnapshot(
        QList<Row> &rows, QList<Fresh> incoming, KeyOf keyOf, Update update, Make make = {});

    // Every row removed with one signal (clear()); `alsoClear` empties what is kept per row
    // beside `rows`, inside the removal.
    template<typename Row, typename AlsoClear>
    void removeAllRows(QList<Row> &rows, AlsoClear alsoClear)
    {
        if (rows.isEmpty())
            return;
        beginRemoveRows({}, 0, int(rows.size()) - 1);
        rows.clear();
        alsoClear();
        endRemoveRows();
        Q_EMIT countChanged();
    }
    template<typename Row> void removeAllRows(QList<Row> &rows)
    {
        removeAllRows(rows, [] {});
    }

private:
    // Drops every later repeat of a key from `incoming`; `keys` gets the keys kept.
    template<typename Fresh, typename KeyOf, typename Key>
    static void dropRepeatedKeys(QList<Fresh> &incoming, KeyOf keyOf, QHash<Key, bool> &keys)
    {
        keys.reserve(incoming.size());
        qsizetype out = 0;
        for (qsizetype i = 0; i < incoming.size(); ++i) {
            Key key = keyOf(incoming.at(i));
            if (keys.contains(key))
                continue;
            keys.insert(std::move(key), true);
            if (out != i)
                incoming[out] = std::move(incoming[i]);
            ++out;
        }
        incoming.resize(out);
    }

    // dataChanged for adjacent rows with the same roles goes out as one signal.
    struct PendingChange
    {
        int first = -1;
        int last = -1;
        QList<int> roles;
    };
    void noteChanged(PendingChange &pending, int row, QList<int> roles)
    {
        if (pending.first >= 0 && pending.last == row - 1 && pending.roles == roles) {
            pending.last = row;
            return;
        }
        flushChanged(pending);
        pending = {row, row, std::move(roles)};
    }
    void flushChanged(PendingChange &pending)
    {
        if (pending.first < 0)
            return;
        Q_EMIT dataChanged(index(pending.first), index(pending.last), pending.roles);
        pending = {};
    }
};

template<typename Row, typename Fresh, typename KeyOf, typename Update, typename Make>
bool SnapshotListModel::applySnapshot(
    QList<Row> &rows, QList<Fresh> incoming, KeyOf keyOf, Update update, Make make)
{
    using Key = std::decay_t<decltype(keyOf(std::declval<const Row &>()))>;
    const int before = int(rows.size());
    PendingChange pending;

    // First fill (connecting, or after clear()): one insertion of the whole snapshot. Keys in
    // increasing order (jarvisd sorts its snapshots) cannot repeat; otherwise later duplicates
    // are dropped as below.
    if (rows.isEmpty()) {
        bool increasing = true;
        if constexpr (requires(const Key &a, const Key &b) { a < b; }) {
            for (qsizetype i = 1; increasing && i < incoming.size(); ++i)
                increasing = keyOf(incoming.at(i - 1)) < keyOf(incoming.at(i));
        } else {
            increasing = incoming.size() < 2;
        }
        if (!increasing) {
            QHash<Key, bool> seen;
            dropRepeatedKeys(incoming, keyOf, seen);
        }
        if (incoming.isEmpty())
            return false;
        beginInsertRows({}, 0, int(incoming.size()) - 1);
        rows.reserve(incoming.size());
        for (Fresh &fresh : incoming)
            rows.append(make(std::move(fresh)));
        endInsertRows();
        Q_EMIT countChanged();
        return true;
    }

    // Fast path: the same keys in the same order (a poll of a cluster whose membership did not
    // change), duplicates impossible since the rows have none.
    bool sameKeys = incoming.size() == rows.size();
    for (qsizetype i = 0; sameKeys && i < rows.size(); ++i)
        sameKeys = keyOf(rows.at(i)) == keyOf(incoming.at(i));
    if (sameKeys) {
        for (qsizetype i = 0; i < rows.size(); ++i) {
            QList<int> roles = update(rows[i], std::move(incoming[i]));
            if (!roles.isEmpty())
                noteChanged(pending, int(i), std::move(roles));
        }
        flushChanged(pending);
        return false;
    }

    // The snapshot's keys (a later duplicate is dropped).
    QHash<Key, bool> wanted;
    dropRepeatedKeys(incoming, keyOf, wanted);

    // 1. Rows that vanished, removed from the end in contiguous runs.
    for (qsizetype i = rows.size() - 1; i >= 0;) {
        if (wanted.contains(keyOf(rows.at(i)))) {
            --i;
            continue;
        }
        qsizetype first = i;
        while (first > 0 && !wanted.contains(keyOf(rows.at(first - 1))))
            --first;
        beginRemoveRows({}, int(first), int(i));
        rows.remove(first, i - first + 1);
        endRemoveRows();
        i = first - 1;
    }

    // 2. Walk the snapshot: rows[0, i) match incoming[0, i) at every step.
    QHash<Key, bool> present;
    present.reserve(rows.size());
    for (const Row &row : std::as_const(rows))
        present.insert(keyOf(row), true);
    for (qsizetype i = 0; i < incoming.size();) {
        const Key key = keyOf(incoming.at(i));
        if (i < rows.size() && keyOf(rows.at(i)) == key) {
            QList<int> roles = update(rows[i], std::move(incoming[i]));
            if (!roles.isEmpty())
                noteChanged(pending, int(i), std::move(roles));
            ++i;
            continue;
        }
        flushChanged(pending);
        if (!present.contains(key)) { // a run of new rows
            qsizetype end = i + 1;
            while (end < incoming.size() && !present.contains(keyOf(incoming.at(end))))
                ++end;
            beginInsertRows({}, int(i), int(end - 1));
            rows.insert(i, end - i, Row {});
            for (qsizetype j = i; j < end; ++j)
                rows[j] = make(std::move(incoming[j]));
            endInsertRows();
            i = end;
            continue;
        }
        // A row further down that the snapshot wants here.
        qsizetype from = i + 1;
        while (keyOf(rows.at(from)) != key)
            ++from;
        beginMoveRows({}, int(from), int(from), {}, int(i));
        rows.move(from, i);
        endMoveRows();
        // updated in place on the next pass
    }
    flushChanged(pending);
    if (rows.size() != before)
        Q_EMIT countChanged();
    return true;
}

} // namespace jarvis::console
