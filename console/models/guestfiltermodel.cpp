#include "guestfiltermodel.h"

#include "guestlistmodel.h"

#include <algorithm>

namespace jarvis::console {

namespace {

// Whether `text` contains `word` (ASCII, in lower case) ignoring case, exactly as
// QStringView::contains(word, Qt::CaseInsensitive) decides, without its per-call setup: the
// filter runs for every guest on every change. Characters of `text` are folded one by one; only
// an ASCII one can equal an ASCII letter, and a character outside ASCII folds to ASCII only in
// the few cases QChar::toCaseFolded knows (KELVIN SIGN to k), which it is asked for.
bool containsAscii(QStringView text, QStringView word)
{
    const qsizetype n = text.size() - word.size();
    const char16_t *t = text.utf16();
    const char16_t *w = word.utf16();
    const auto fold = [](char16_t c) -> char16_t {
        if (c < 0x80)
            return c >= 'A' && c <= 'Z' ? char16_t(c + ('a' - 'A')) : c;
        return QChar::isSurrogate(c) ? c : char16_t(QChar::toCaseFolded(char32_t(c)));
    };
    for (qsizetype i = 0; i <= n; ++i) {
        qsizetype j = 0;
        while (j < word.size() && fold(t[i + j]) == w[j])
            ++j;
        if (j == word.size())
            return true;
    }
    return false;
}

// `value` in decimal, into `buffer`.
QStringView decimal(int value, char16_t (&buffer)[12])
{
    char16_t *end = buffer + 12;
    char16_t *p = end;
    quint32 v = value < 0 ? 0u - quint32(value) : quint32(value);
    do {
        *--p = char16_t(u'0' + v % 10);
        v /= 10;
    } while (v > 0);
    if (value < 0)
        *--p = u'-';
    return QStringView(p, end - p);
}

// Inline, letter by letter (the comparator runs n log n times; most statuses differ at the
// first letter).
bool isRunning(const model::VmData &g)
{
    static constexpr char16_t running[] = u"running";
    if (g.status.size() != 7)
        return false;
    const char16_t *s = reinterpret_cast<const char16_t *>(g.status.constData());
    for (int i = 0; i < 7; ++i) {
        if (s[i] != running[i])
            return false;
    }
    return true;
}

// -1, 0, 1
template<typename T> int order(const T &a, const T &b)
{
    return a < b ? -1 : (b < a ? 1 : 0);
}

int compareCi(const QString &a, const QString &b)
{
    const int c = QString::compare(a, b, Qt::CaseInsensitive);
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

} // namespace

GuestFilterModel::GuestFilterModel(QObject *parent)
    : QSortFilterProxyModel(parent)
{
    setDynamicSortFilter(true);
    const auto recount = [this] {
        if (rowCount() != m_lastCount) {
            m_lastCount = rowCount();
            Q_EMIT countChanged();
        }
    };
    connect(this, &QAbstractItemModel::rowsInserted, this, recount);
    connect(this, &QAbstractItemModel::rowsRemoved, this, recount);
    connect(this, &QAbstractItemModel::modelReset, this, recount);
    connect(this, &QAbstractItemModel::layoutChanged, this, recount);
}

void GuestFilterModel::setGuests(GuestListModel *guests)
{
    setSourceModel(guests);
}

void GuestFilterModel::setSourceModel(QAbstractItemModel *model)
{
    GuestListModel *guests = qobject_cast<GuestListModel *>(model);
    if (model && !guests)
        qWarning("GuestFilterModel: the source must be a GuestListModel");
    if (guests == m_guests && model == sourceModel())
        return;
    m_guests = guests;
    QSortFilterProxyModel::setSourceModel(guests);
    updateSortKey();
    sort(0, Qt::AscendingOrder); // direction is handled in lessThan (ties stay by vmid)
    Q_EMIT guestsChanged();
}

void GuestFilterModel::setSearch(const QString &search)
{
    if (search == m_search)
        return;
    m_search = search;
    m_words.clear();
    for (const QString &text : search.simplified().split(QLatin1Char(' '), Qt::SkipEmptyParts)) {
        const bool ascii =
            std::all_of(text.cbegin(), text.cend(), [](QChar c) { return c.unicode() < 0x80; });
        m_words.append({text, ascii ? text.toLower() : QString()});
    }
    invalidateFilter();
    Q_EMIT searchChanged();
}

void GuestFilterModel::setNodeFilter(const QString &node)
{
    if (node == m_node)
        return;
    m_node = node;
    invalidateFilter();
    Q_EMIT nodeFilterChanged();
}

void GuestFilterModel::setStatusFilter(const QString &status)
{
    if (status == m_status)
        return;
    m_status = status;
    invalidateFilter();
    Q_EMIT statusFilterChanged();
}

void GuestFilterModel::setTypeFilter(const QString &type)
{
    if (type == m_type)
        return;
    m_type = type;
    invalidateFilter();
    Q_EMIT typeFilterChanged();
}

void GuestFilterModel::setSortRoleName(const QString &name)
{
    if (name == m_sortRoleName)
        return;
    m_sortRoleName = name;
    updateSortKey();
    invalidate();
    Q_EMIT sortRoleNameChanged();
}

void GuestFilterModel::setSortAscending(bool ascending)
{
    if (ascending == m_ascending)
        return;
    m_ascending = ascending;
    invalidate();
    Q_EMIT sortAscendingChanged();
}

void GuestFilterModel::updateSortKey()
{
    static const QHash<QString, SortKey> keys {
        {QStringLiteral("vmid"), SortKey::Vmid},
        {QStringLiteral("name"), SortKey::Name},
        {QStringLiteral("type"), SortKey::Type},
        {QStringLiteral("node"), SortKey::Node},
        {QStringLiteral("status"), SortKey::Status},
        {QStringLiteral("cpu"), SortKey::Cpu},
        {QStringLiteral("mem"), SortKey::Mem},
        {QStringLiteral("uptime"), SortKey::Uptime},
        {QStringLiteral("tags"), SortKey::Tags},
    };
    m_sortKey = keys.value(m_sortRoleName, SortKey::Role);
    m_sortRole = -1;
    if (m_sortKey == SortKey::Role && m_guests)
        m_sortRole = m_guests->roleNames().key(m_sortRoleName.toUtf8(), -1);
    if (m_sortKey == SortKey::Role && m_sortRole < 0)
        m_sortKey = SortKey::Vmid;
}

bool GuestFilterModel::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    if (!m_guests || sourceParent.isValid() || sourceRow < 0 || sourceRow >= m_guests->rowCount())
        return false;
    const model::VmData &g = m_guests->guestAt(sourceRow);
    if (!m_node.isEmpty() && g.node != m_node)
        return false;
    if (!m_status.isEmpty() && g.status != m_status)
        return false;
    if (!m_type.isEmpty()
        && m_type
            != (g.kind == model::VmData::Kind::Lxc ? QLatin1String("lxc") : QLatin1String("qemu")))
        return false;
    if (m_words.isEmpty())
        return true;
    char16_t digits[12];
    const QStringView vmid = decimal(g.vmid, digits);
    const QStringView type = g.kind == model::VmData::Kind::Lxc ? u"ct" : u"vm";
    for (const Word &word : m_words) {
        const auto in = [&word](QStringView text) {
            return word.ascii.isNull() ? text.contains(word.text, Qt::CaseInsensitive)
                                       : containsAscii(text, word.ascii);
        };
        if (!(in(vmid) || in(g.name) || in(g.node) || in(g.status) || in(type)
                || std::any_of(g.tags.cbegin(), g.tags.cend(), in)))
            return false;
    }
    return true;
}

bool GuestFilterModel::lessThan(const QModelIndex &left, const QModelIndex &right) const
{
    if (!m_guests)
        return left.row() < right.row();
    const model::VmData &a = m_guests->guestAt(left.row());
    const model::VmData &b = m_guests->guestAt(right.row());
    int c = 0;
    switch (m_sortKey) {
    case SortKey::Vmid:
        c = order(a.vmid, b.vmid);
        break;
    case SortKey::Name:
        c = compareCi(a.name, b.name);
        break;
    case SortKey::Type: // "lxc" before "qemu", as the strings compare
        c = order(
            a.kind == model::VmData::Kind::Lxc ? 0 : 1, b.kind == model::VmData::Kind::Lxc ? 0 : 1);
        break;
    case SortKey::Node:
        c = order(a.node, b.node);
        break;
    case SortKey::Status:
        c = order(a.status, b.status);
        break;
    case SortKey::Cpu: {
        const double ca = isRunning(a) ? a.cpu : -1.0;
        const double cb = isRunning(b) ? b.cpu : -1.0;
        c = order(ca, cb);
        break;
    }
    case SortKey::Mem:
        c = order(a.mem, b.mem);
        break;
    case SortKey::Uptime:
        c = order(a.uptime, b.uptime);
        break;
    case SortKey::Tags:
        c = compareCi(a.tags.join(QLatin1Char(',')), b.tags.join(QLatin1Char(',')));
        break;
    case SortKey::Role: {
        const QPartialOrdering o =
            QVariant::compare(m_guests->data(left, m_sortRole), m_guests->data(right, m_sortRole));
        c = o == QPartialOrdering::Less ? -1 : (o == QPartialOrdering::Greater ? 1 : 0);
        break;
    }
    }
    if (c != 0)
        return m_ascending ? c < 0 : c > 0;
    return a.vmid < b.vmid;
}

int GuestFilterModel::vmidAt(int row) const
{
    if (!m_guests || row < 0 || row >= rowCount())
        return -1;
    return m_guests->guestAt(mapToSource(index(row, 0)).row()).vmid;
}

} // namespace jarvis::console
