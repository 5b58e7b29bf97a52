//! Per-block trigram Bloom filters for full-text search over raw lines (SQLite backend).
//!
//! Event ids are grouped into fixed blocks of [`BLOCK_EVENTS`] ids. Each block keeps one Bloom
//! filter of the ASCII-lower-cased byte trigrams of its events' raw lines, built by the writer in
//! the same transaction as the events: nothing lags, and building costs a multiply and two bit
//! sets per byte (an inverted index such as FTS5 costs tens of microseconds per line). A search
//! term can only occur in a block whose filter holds every trigram of the term, so a query reads
//! the filters of the blocks in its time range and scans only the candidates; every candidate
//! row is still checked against the raw line, so results are exact. Terms shorter than three
//! bytes cannot be filtered and fall back to a scan.
//!
//! Numbers defeat trigrams: a block of firewall lines holds nearly every trigram of digits and
//! dots, so a rare IP address would pass every block's filter. Windows of seven bytes that hold
//! a digit are therefore added as well: a rare address's windows (`.0.113.`) rule out almost
//! every block even when the block holds thousands of random addresses.
//!
//! The filters also hold each event's promoted values (host, source IP, user), tagged by column
//! so that they never equal a raw-line gram: the whole value, and its grams. A search on a
//! promoted column (`host = web02`, `src_ip = 10.3.*`) reads the same filters as a text search,
//! which is what lets those columns go without per-row indexes (three random-key B-tree inserts
//! per event cost the single writer most of its time).
//!
//! Each event's source id goes in as well, so that a search by source reads the filters instead
//! of a (tenant, source, time) index: that index's insert cost about a fifth of the store's
//! write time in `store_bench`. A search names sources, so a block qualifies when it holds any of them.

use crate::query::{Pattern, Promoted};

/// log2 of the ids per block.
pub(crate) const BLOCK_SHIFT: u32 = 11;
/// Event ids per block.
pub(crate) const BLOCK_EVENTS: i64 = 1 << BLOCK_SHIFT;
/// log2 of the bits per filter: 2^19 bits = 64 KiB per 2,048 events (32 bytes per event). A
/// block of varied log lines holds some 20,000–40,000 distinct trigrams and up to ~200,000
/// distinct digit-holding 7-grams, so one gram tests positive by chance ~5–30 % of the time, and
/// a term of n grams about that to the n-th.
const BITS_LOG2: u32 = 19;
const WORDS: usize = (1 << BITS_LOG2) / 64;
/// Serialised size of a filter.
pub(crate) const BYTES: usize = WORDS * 8;

/// The block holding event `id`.
pub(crate) fn block_of(id: i64) -> i64 {
    id >> BLOCK_SHIFT
}

/// First and last event id of `block`.
pub(crate) fn block_ids(block: i64) -> (i64, i64) {
    let first = block << BLOCK_SHIFT;
    (first, first + BLOCK_EVENTS - 1)
}

/// The two bit positions of a gram (two hash functions from one multiply).
fn positions(gram: u64) -> (usize, usize) {
    let h = (gram ^ (gram >> 29)).wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mask = (1u64 << BITS_LOG2) - 1;
    ((h >> (64 - BITS_LOG2)) as usize, ((h >> 20) & mask) as usize)
}

/// Tags a 7-gram so that it never equals a trigram.
const SEVEN: u64 = 1 << 56;

/// Bit 57 tags the key of a whole promoted value; bits 58-59 say which column a value key or
/// value gram belongs to. Raw-line grams use bits 0-56 only. Bit 57 with column 0 (no promoted
/// column has it) is an event's source id.
const EXACT: u64 = 1 << 57;
const COLUMN_SHIFT: u32 = 58;

fn column_tag(column: Promoted) -> u64 {
    let n: u64 = match column {
        Promoted::Host => 1,
        Promoted::SrcIp => 2,
        Promoted::User => 3,
    };
    n << COLUMN_SHIFT
}

/// The key of a whole promoted value, ASCII-lower-cased like the column's NOCASE comparison.
fn value_key(column: Promoted, value: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in value {
        h ^= u64::from(b.to_ascii_lowercase());
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h & ((1 << 56) - 1)) | EXACT | column_tag(column)
}

/// The key of a source id (ids are positive and far below 2^56).
fn source_key(source_id: i64) -> u64 {
    (source_id as u64 & ((1 << 56) - 1)) | EXACT
}

/// The key of a value's first one or two bytes (ASCII-lower-cased), so that short prefix
/// patterns (`z*`, `ab*`), which have no grams, can still rule blocks out.
fn prefix_keys(column: Promoted, value: &[u8]) -> impl Iterator<Item = u64> {
    let tag = EXACT | SEVEN | column_tag(column);
    (1..=value.len().min(2)).map(move |n| {
        let bytes = value[..n].iter().fold(0u64, |k, b| (k << 8) | u64::from(b.to_ascii_lowercase()));
        tag | ((n as u64) << 16) | bytes
    })
}

/// Calls `f` with every ASCII-lower-cased byte trigram of `text`, and every 7-gram holding an
/// ASCII digit (tagged with [`SEVEN`]).
fn for_each_gram(text: &[u8], mut f: impl FnMut(u64)) {
    let mut g: u64 = 0;
    // Bit i set: the byte i places back is a digit.
    let mut digits: u32 = 0;
    for (i, b) in text.iter().enumerate() {
        g = ((g << 8) | u64::from(b.to_ascii_lowercase())) & 0xFF_FFFF_FFFF_FFFF;
        digits = ((digits << 1) | u32::from(b.is_ascii_digit())) & 0x7F;
        if i >= 2 {
            f(g & 0xFF_FFFF);
        }
        if i >= 6 && digits != 0 {
            f(g | SEVEN);
        }
    }
}

/// One block's filter.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Bloom {
    words: Vec<u64>,
}

impl Default for Bloom {
    fn default() -> Self {
        Bloom { words: vec![0; WORDS] }
    }
}

impl std::fmt::Debug for Bloom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set: u32 = self.words.iter().map(|w| w.count_ones()).sum();
        write!(f, "Bloom({set} of {} bits set)", WORDS * 64)
    }
}

impl Bloom {
    /// Reads a stored filter; `None` when the blob is not one (wrong size).
    pub(crate) fn from_bytes(bytes: &[u8]) -> Option<Bloom> {
        if bytes.len() != BYTES {
            return None;
        }
        let words = bytes.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8]))).collect();
        Some(Bloom { words })
    }

    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        self.words.iter().flat_map(|w| w.to_le_bytes()).collect()
    }

    /// Adds every trigram of a raw line.
    pub(crate) fn add_text(&mut self, text: &[u8]) {
        for_each_gram(text, |g| self.set(g));
    }

    /// Adds one promoted value: its whole-value key and its grams, tagged with the column.
    pub(crate) fn add_value(&mut self, column: Promoted, value: &str) {
        let tag = column_tag(column);
        self.set(value_key(column, value.as_bytes()));
        for k in prefix_keys(column, value.as_bytes()) {
            self.set(k);
        }
        for_each_gram(value.as_bytes(), |g| self.set(g | tag));
    }

    /// Adds an event's source id.
    pub(crate) fn add_source(&mut self, source_id: i64) {
        self.set(source_key(source_id));
    }

    fn set(&mut self, gram: u64) {
        let (a, b) = positions(gram);
        self.words[a >> 6] |= 1 << (a & 63);
        self.words[b >> 6] |= 1 << (b & 63);
    }

    /// Adds everything `other` holds.
    pub(crate) fn union(&mut self, other: &Bloom) {
        for (w, o) in self.words.iter_mut().zip(&other.words) {
            *w |= o;
        }
    }

    /// Whether every gram of the query, and one of its sources if it names any, may be in the
    /// block (false: certainly not).
    pub(crate) fn may_contain(&self, query: &Trigrams) -> bool {
        query.all.iter().all(|&t| self.holds(t)) && (query.any.is_empty() || query.any.iter().any(|&t| self.holds(t)))
    }

    fn holds(&self, gram: u64) -> bool {
        let (a, b) = positions(gram);
        self.words[a >> 6] & (1 << (a & 63)) != 0 && self.words[b >> 6] & (1 << (b & 63)) != 0
    }
}

/// What a block must hold to contain a match: every gram of the text terms (terms shorter than
/// three bytes add none) and of the promoted-column filters, and one of the sources searched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Trigrams {
    all: Vec<u64>,
    any: Vec<u64>,
}

impl Trigrams {
    #[cfg(test)]
    pub(crate) fn of_terms(terms: &[String]) -> Trigrams {
        Trigrams::of_query(terms, &[], &[])
    }

    /// Grams of text terms and of promoted-column patterns: an exact value needs its whole-value
    /// key; a LIKE pattern needs the grams of each literal run between its wildcards, and the
    /// key of its first bytes when it does not start with a wildcard. `sources` are the ids of the
    /// sources searched (empty: any source).
    pub(crate) fn of_query(terms: &[String], columns: &[(Promoted, &Pattern)], sources: &[i64]) -> Trigrams {
        let mut out = Vec::new();
        for t in terms {
            for_each_gram(t.as_bytes(), |g| out.push(g));
        }
        for (column, pattern) in columns {
            let tag = column_tag(*column);
            match pattern {
                Pattern::Exact(v) => out.push(value_key(*column, v.as_bytes())),
                Pattern::Like(like) => {
                    let runs = like_literal_runs(like);
                    if !like.starts_with(['%', '_'])
                        && let Some(first) = runs.first()
                    {
                        out.extend(prefix_keys(*column, first.as_bytes()).last());
                    }
                    for run in runs {
                        for_each_gram(run.as_bytes(), |g| out.push(g | tag));
                    }
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        let mut any: Vec<u64> = sources.iter().map(|&id| source_key(id)).collect();
        any.sort_unstable();
        any.dedup();
        Trigrams { all: out, any }
    }

    /// True when nothing in the query can rule a block out (no term long enough, no promoted
    /// column, no source).
    pub(crate) fn is_empty(&self) -> bool {
        self.all.is_empty() && self.any.is_empty()
    }
}

/// The literal runs of a LIKE pattern (`\\` escapes, `%` and `_` wildcards), unescaped.
fn like_literal_runs(like: &str) -> Vec<String> {
    let mut runs = Vec::new();
    let mut run = String::new();
    let mut chars = like.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => run.extend(chars.next()),
            '%' | '_' => runs.push(std::mem::take(&mut run)),
            c => run.push(c),
        }
    }
    runs.push(run);
    runs.retain(|r| !r.is_empty());
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(t: &[&str]) -> Trigrams {
        Trigrams::of_terms(&t.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn a_substring_of_an_added_line_always_tests_positive() {
        let mut b = Bloom::default();
        let line = b"<38>Nov 21 10:00:01 web02 sshd[311]: Failed password for admin from 203.0.113.7 port 52113";
        b.add_text(line);
        let text = String::from_utf8_lossy(line).to_ascii_lowercase();
        for start in 0..text.len() - 3 {
            for end in start + 3..=text.len().min(start + 20) {
                assert!(b.may_contain(&terms(&[&text[start..end]])), "{}", &text[start..end]);
            }
        }
        // Case-insensitive for ASCII, like the verification against raw.
        assert!(b.may_contain(&terms(&["failed password", "sshd"])));
        assert!(b.may_contain(&terms(&["WEB02"])));
    }

    #[test]
    fn absent_terms_are_ruled_out() {
        let mut b = Bloom::default();
        b.add_text(b"deny tcp 10.0.0.1:443 -> 10.0.0.2:22");
        assert!(!b.may_contain(&terms(&["mimikatz"])));
        assert!(!b.may_contain(&terms(&["deny", "powershell"])));
        assert!(!Bloom::default().may_contain(&terms(&["abc"])));
    }

    #[test]
    fn short_terms_give_no_trigrams() {
        assert!(terms(&["ab", "x"]).is_empty());
        assert_eq!(terms(&["abcd", "bcd"]).all.len(), 2);
        // Trigrams plus the 7-grams that hold a digit.
        assert_eq!(terms(&["ab1defg"]).all.len(), 6);
        assert_eq!(terms(&["abcdefg"]).all.len(), 5);
    }

    #[test]
    fn false_positive_rate_stays_low_on_a_full_block() {
        // 2,048 varied firewall and sshd lines, then 1,000 random 8-character absent terms.
        let mut b = Bloom::default();
        let mut x: u64 = 0x1234_5678_9abc_def1;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for i in 0..BLOCK_EVENTS {
            let r = next();
            let line = format!(
                "<134>Nov 21 10:{:02}:{:02} fw01 kernel: [UFW BLOCK] SRC={}.{}.{}.{} DST=10.0.{}.{} SPT={} user{}",
                i % 60,
                r % 60,
                r % 223,
                (r >> 8) % 256,
                (r >> 16) % 256,
                (r >> 24) % 256,
                (r >> 32) % 256,
                (r >> 40) % 256,
                (r >> 48) % 65536,
                r % 1000
            );
            b.add_text(line.as_bytes());
        }
        let mut hits = 0;
        for _ in 0..1000 {
            let r = next();
            let term: String = (0..8).map(|k| (b'g' + ((r >> (k * 5)) % 20) as u8) as char).collect();
            hits += usize::from(b.may_contain(&terms(&[&term])));
        }
        assert!(hits < 10, "{hits} of 1000 absent terms passed the filter");
    }

    #[test]
    fn a_rare_address_is_ruled_out_among_thousands_of_others() {
        // Trigrams alone pass every block for a dotted quad: all digit-and-dot trigrams occur.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut hits = 0;
        for block in 0..20 {
            let mut b = Bloom::default();
            for _ in 0..BLOCK_EVENTS {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let line = format!(
                    "<134>Nov 21 10:{:02}:{:02} fw01 kernel: SRC={}.{}.{}.{} DST=10.{}.{}.{} SPT={} DPT=443",
                    block,
                    x % 60,
                    [203, 198, 185, 45][(x % 4) as usize],
                    (x >> 8) % 256,
                    (x >> 16) % 256,
                    (x >> 24) % 254 + 1,
                    (x >> 32) % 8,
                    (x >> 40) % 256,
                    (x >> 48) % 254 + 1,
                    (x >> 20) % 60000 + 1024
                );
                b.add_text(line.as_bytes());
            }
            hits += usize::from(b.may_contain(&terms(&["203.0.113.7"])));
        }
        assert!(hits <= 1, "{hits} of 20 blocks passed for an address none holds");
    }

    #[test]
    fn promoted_values_are_found_exactly_and_by_pattern_and_only_in_their_column() {
        let mut b = Bloom::default();
        b.add_text(b"<38>Nov 21 10:00:01 web02 sshd[311]: Failed password for admin from 203.0.113.7");
        b.add_value(Promoted::Host, "WEB02");
        b.add_value(Promoted::SrcIp, "203.0.113.7");
        b.add_value(Promoted::User, "admin");
        let q = |c: Promoted, p: Pattern| Trigrams::of_query(&[], &[(c, &p)], &[]);
        let exact = |v: &str| Pattern::Exact(v.into());
        let like = |v: &str| Pattern::Like(v.into());
        // Whole values, case-insensitively, in their own column only.
        assert!(b.may_contain(&q(Promoted::Host, exact("web02"))));
        assert!(b.may_contain(&q(Promoted::User, exact("ADMIN"))));
        assert!(!b.may_contain(&q(Promoted::User, exact("web02"))));
        assert!(!b.may_contain(&q(Promoted::Host, exact("web0"))));
        assert!(!b.may_contain(&q(Promoted::Host, exact("web03"))));
        // Patterns: every literal run must be there, in that column.
        assert!(b.may_contain(&q(Promoted::SrcIp, like("203.0.113.%"))));
        assert!(b.may_contain(&q(Promoted::Host, like("%eb0_"))));
        assert!(!b.may_contain(&q(Promoted::SrcIp, like("198.51.%"))));
        assert!(!b.may_contain(&q(Promoted::Host, like("%admin%"))));
        // Prefixes too short for grams.
        assert!(b.may_contain(&q(Promoted::Host, like("w%"))));
        assert!(b.may_contain(&q(Promoted::Host, like("WE%"))));
        assert!(b.may_contain(&q(Promoted::User, like("ad_in"))));
        assert!(!b.may_contain(&q(Promoted::Host, like("z%"))));
        assert!(!b.may_contain(&q(Promoted::Host, like("wz%"))));
        assert!(!b.may_contain(&q(Promoted::User, like("we%"))));
        // A value's grams are not raw-line grams: the raw text holds "sshd", the columns do not.
        assert!(!b.may_contain(&q(Promoted::Host, like("%sshd%"))));
        assert!(b.may_contain(&terms(&["sshd"])));
    }

    #[test]
    fn sources_are_found_by_id_any_of_several_and_never_as_other_keys() {
        let mut b = Bloom::default();
        b.add_text(b"<38>Nov 21 10:00:01 web02 sshd[311]: Failed password");
        b.add_value(Promoted::Host, "web02");
        b.add_source(7);
        b.add_source(12);
        let sources = |ids: &[i64]| Trigrams::of_query(&[], &[], ids);
        assert!(!sources(&[7]).is_empty());
        assert!(b.may_contain(&sources(&[7])));
        assert!(b.may_contain(&sources(&[12, 7])));
        assert!(b.may_contain(&sources(&[3, 12])), "any one of the sources searched");
        assert!(!b.may_contain(&sources(&[3])));
        assert!(!b.may_contain(&sources(&[3, 4, 5])));
        // Combined with terms and columns: everything else is still required.
        let q = Trigrams::of_query(&["sshd".into()], &[(Promoted::Host, &Pattern::Exact("web02".into()))], &[3, 7]);
        assert!(b.may_contain(&q));
        let q = Trigrams::of_query(&["mimikatz".into()], &[], &[7]);
        assert!(!b.may_contain(&q));
        // A source key is not a promoted value's key or a raw gram, and the reverse.
        let mut only = Bloom::default();
        only.add_source(7);
        assert!(!only.may_contain(&Trigrams::of_query(&[], &[(Promoted::Host, &Pattern::Exact("7".into()))], &[])));
        let mut other = Bloom::default();
        other.add_text(b"\x00\x00\x07 7 source 7");
        other.add_value(Promoted::Host, "7");
        assert!(!other.may_contain(&sources(&[7])));
    }

    #[test]
    fn like_patterns_split_into_unescaped_literal_runs() {
        assert_eq!(like_literal_runs("10.3.%"), vec!["10.3."]);
        assert_eq!(like_literal_runs("%ab_cd%ef"), vec!["ab", "cd", "ef"]);
        assert_eq!(like_literal_runs("50\\%\\_x"), vec!["50%_x"]);
        assert!(like_literal_runs("%_%").is_empty());
    }

    #[test]
    fn bytes_round_trip_and_reject_wrong_sizes() {
        let mut b = Bloom::default();
        b.add_text(b"hello world");
        assert_eq!(Bloom::from_bytes(&b.to_bytes()), Some(b));
        assert_eq!(Bloom::from_bytes(&[0; 7]), None);
    }

    #[test]
    fn blocks_cover_ids_without_gaps() {
        assert_eq!(block_of(0), 0);
        assert_eq!(block_ids(block_of(1)), (0, BLOCK_EVENTS - 1));
        assert_eq!(block_of(BLOCK_EVENTS), 1);
        let (first, last) = block_ids(block_of(123_456));
        assert!(first <= 123_456 && 123_456 <= last);
    }
}
