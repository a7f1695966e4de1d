//! Small-number suppression for a table whose rows and columns add up:
//! the trust report's schools side by side, with the whole trust's figure
//! beside them and each school's total above its breakdowns.
//!
//! A count from 1 to k-1 is shown as "<k" (primary suppression), as in a
//! school's report. In a table that adds up, that alone hides nothing: the
//! whole trust's figure minus the schools shown gives the hidden one, as
//! does a school's total minus its other lines. So more cells are withheld
//! (complementary suppression), shown as "[c]" (the Government Statistical
//! Service's mark for a figure withheld as confidential; it may stand for
//! any number), until no small count can be worked out from the others.
//!
//! "Worked out" is checked as a careful reader would: [`Grid::bounds`]
//! narrows each hidden cell to what every row and column sum allows,
//! knowing that "<k" is 1 to k-1, until nothing narrows further. A small
//! count is protected when it could still be any number from 1 to k-1.
//! The cells withheld to protect it are the schools' own figures where
//! that will do, so that the whole trust's figures and every total stay.

/// How a cell is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    Shown,
    /// From 1 to k-1: "<k".
    Fewer,
    /// Withheld so that a small count elsewhere cannot be worked out: "[c]".
    Hidden,
}

/// What a cell is to the table, which decides whether it may be withheld
/// for another cell's sake, and how willingly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// A school's figure (or the other schools'): withheld first.
    Part,
    /// The whole trust's figure for a line: withheld only when no school's
    /// figure will do, as it is the one a trust board reads first.
    Margin,
    /// Kept: a column's total for the term (the report is built so that
    /// these are never small), or a figure every reader knows already (a
    /// month outside a school's term, a line of a school with no
    /// incidents), which withholding would not hide.
    Fixed,
}

/// total = the sum of parts.
#[derive(Clone, Debug)]
struct Sum {
    total: usize,
    parts: Vec<usize>,
}

/// Far above any count; stands for "no upper bound".
const UNBOUNDED: i64 = 1 << 40;

#[derive(Clone, Debug)]
pub struct Grid {
    k: i64,
    values: Vec<i64>,
    kinds: Vec<Kind>,
    marks: Vec<Mark>,
    sums: Vec<Sum>,
    /// The sums each cell is in.
    member_of: Vec<Vec<usize>>,
}

/// How willingly a cell is withheld beside another (smaller is sooner).
type Preference = (Kind, bool, i64, usize, (bool, i64));

impl Grid {
    pub fn new(k: i32) -> Grid {
        Grid {
            k: i64::from(k.max(1)),
            values: Vec::new(),
            kinds: Vec::new(),
            marks: Vec::new(),
            sums: Vec::new(),
            member_of: Vec::new(),
        }
    }

    /// Adds a cell; returns its index.
    pub fn cell(&mut self, value: i64, kind: Kind) -> usize {
        self.values.push(value.max(0));
        self.kinds.push(kind);
        self.marks.push(Mark::Shown);
        self.member_of.push(Vec::new());
        self.values.len() - 1
    }

    /// Records that `total` is the sum of `parts`, as a reader can see.
    pub fn sum(&mut self, total: usize, parts: Vec<usize>) {
        let at = self.sums.len();
        self.member_of[total].push(at);
        for p in &parts {
            self.member_of[*p].push(at);
        }
        debug_assert_eq!(
            self.values[total],
            parts.iter().map(|p| self.values[*p]).sum::<i64>(),
            "a sum the table shows must add up"
        );
        self.sums.push(Sum { total, parts });
    }

    pub fn mark(&self, cell: usize) -> Mark {
        self.marks[cell]
    }

    pub fn value(&self, cell: usize) -> i64 {
        self.values[cell]
    }

    /// Marks the small counts, then withholds as many more as protecting
    /// them takes.
    pub fn suppress(&mut self) {
        for i in 0..self.values.len() {
            if self.values[i] >= 1 && self.values[i] < self.k {
                self.marks[i] = Mark::Fewer;
            }
        }
        // A small total of several small counts tells each (two "<3" in a
        // "<3": at least one each, so 1 and 1), whatever else is hidden:
        // such a total is withheld as "[c]" instead.
        for s in 0..self.sums.len() {
            let sum = &self.sums[s];
            let fewer = sum
                .parts
                .iter()
                .filter(|p| self.marks[**p] == Mark::Fewer)
                .count();
            if self.marks[sum.total] == Mark::Fewer
                && self.kinds[sum.total] != Kind::Fixed
                && fewer >= 2
            {
                self.marks[sum.total] = Mark::Hidden;
            }
        }
        // Each round withholds one more cell, so this ends.
        for _ in 0..self.values.len() {
            // First the plain case: a sum with one unknown gives it away.
            if let Some(cell) = self.partner_for_a_lone_unknown() {
                self.marks[cell] = Mark::Hidden;
                continue;
            }
            let bounds = self.bounds();
            let exposed = self.exposed_with(&bounds);
            if exposed.is_empty() {
                self.show_what_need_not_be_hidden();
                return;
            }
            let Some(cell) = self.next_to_hide(&bounds, &exposed) else {
                break;
            };
            self.marks[cell] = Mark::Hidden;
        }
        self.last_resort();
    }

    /// Choosing one cell at a time withholds more than it needs to (a cell
    /// withheld early can be made unnecessary by later ones), so each
    /// withheld cell is tried shown again, the whole trust's figures first
    /// and then the largest, and stays shown if no small count becomes
    /// exposed.
    fn show_what_need_not_be_hidden(&mut self) {
        let mut withheld: Vec<usize> = (0..self.values.len())
            .filter(|i| self.marks[*i] == Mark::Hidden)
            .collect();
        withheld.sort_by_key(|i| (self.kinds[*i] != Kind::Margin, -self.values[*i], *i));
        for i in withheld {
            let v = self.values[i];
            self.marks[i] = if v >= 1 && v < self.k {
                Mark::Fewer
            } else {
                Mark::Shown
            };
            if !self.exposed().is_empty() {
                self.marks[i] = Mark::Hidden;
            }
        }
    }

    /// Should the choice above run out of cells (no table tried has made
    /// it), withhold every other figure in the sums an exposed count is in,
    /// term totals included, until nothing is exposed or nothing is left.
    fn last_resort(&mut self) {
        loop {
            let exposed = self.exposed();
            if exposed.is_empty() {
                return;
            }
            let mut changed = false;
            for e in exposed {
                for s in self.member_of[e].clone() {
                    for c in self.cells_of(s) {
                        if c != e && self.marks[c] != Mark::Hidden {
                            self.marks[c] = Mark::Hidden;
                            changed = true;
                        }
                    }
                }
            }
            if !changed {
                return;
            }
        }
    }

    /// The small counts a reader could narrow beyond "1 to k-1".
    pub fn exposed(&self) -> Vec<usize> {
        self.exposed_with(&self.bounds())
    }

    /// A "<k" a reader can narrow at all, or a small count shown as
    /// "[c]" (see [`Grid::next_to_hide`]) that a reader can pin down.
    fn exposed_with(&self, bounds: &[(i64, i64)]) -> Vec<usize> {
        let small = |i: usize| self.values[i] >= 1 && self.values[i] < self.k;
        (0..self.values.len())
            .filter(|&i| match self.marks[i] {
                Mark::Fewer => bounds[i] != (1, self.k - 1),
                Mark::Hidden => small(i) && bounds[i].0 == bounds[i].1,
                Mark::Shown => false,
            })
            .collect()
    }

    fn cells_of(&self, sum: usize) -> Vec<usize> {
        let s = &self.sums[sum];
        std::iter::once(s.total)
            .chain(s.parts.iter().copied())
            .collect()
    }

    /// How many of a sum's cells are not shown.
    fn unknowns(&self, sum: usize) -> usize {
        self.cells_of(sum)
            .into_iter()
            .filter(|c| self.marks[*c] != Mark::Shown)
            .count()
    }

    /// What a reader can work out about each cell: its lowest and highest
    /// possible value, from every sum, until nothing narrows further.
    pub fn bounds(&self) -> Vec<(i64, i64)> {
        let k = self.k;
        let mut b: Vec<(i64, i64)> = (0..self.values.len())
            .map(|i| match self.marks[i] {
                Mark::Shown => (self.values[i], self.values[i]),
                Mark::Fewer => (1, k - 1),
                Mark::Hidden => (0, UNBOUNDED),
            })
            .collect();
        // Each sweep only narrows; a few hundred is far more than any
        // table here needs (a sweep is a few thousand additions).
        for _ in 0..500 {
            let mut changed = false;
            for sum in &self.sums {
                // Narrows cell i to [lo, hi]; returns how its bounds moved.
                let mut narrow = |i: usize, lo: i64, hi: i64, b: &mut Vec<(i64, i64)>| {
                    let (old_lo, old_hi) = b[i];
                    let next = (old_lo.max(lo), old_hi.min(hi));
                    if next != (old_lo, old_hi) && next.0 <= next.1 {
                        b[i] = next;
                        changed = true;
                        (next.0 - old_lo, next.1 - old_hi)
                    } else {
                        (0, 0)
                    }
                };
                // (At most a few dozen unbounded parts: no overflow.)
                let mut lo_parts: i64 = sum.parts.iter().map(|p| b[*p].0).sum();
                let mut hi_parts: i64 = sum.parts.iter().map(|p| b[*p].1).sum();
                narrow(sum.total, lo_parts, hi_parts, &mut b);
                let (t_lo, t_hi) = b[sum.total];
                for p in &sum.parts {
                    let (p_lo, p_hi) = b[*p];
                    let lo = t_lo - (hi_parts - p_hi);
                    let hi = t_hi - (lo_parts - p_lo);
                    let (d_lo, d_hi) = narrow(*p, lo, hi, &mut b);
                    lo_parts += d_lo;
                    hi_parts += d_hi;
                }
            }
            if !changed {
                break;
            }
        }
        b
    }

    /// A sum with exactly one cell not shown gives that cell away (its
    /// total less the rest): the cell to withhold beside it.
    fn partner_for_a_lone_unknown(&self) -> Option<usize> {
        (0..self.sums.len())
            .filter(|s| self.unknowns(*s) == 1)
            .find_map(|s| self.best_in(&[s]))
    }

    /// When every sum has two unknowns or none and a small count can still
    /// be narrowed: a small count shown as "[c]" when nothing but small
    /// counts is unknown in its sum; else a cell to withhold beside a
    /// withheld cell a reader can pin down (the usual reason), or beside
    /// the exposed count itself; failing those, a small whole-trust figure,
    /// or the small count itself, shown as "[c]" instead of "<k" ("<3"
    /// tells a reader it is at least 1, which can be enough to tell its
    /// parts, as two "<3" in a "<3" are 1 each).
    fn next_to_hide(&self, bounds: &[(i64, i64)], exposed: &[usize]) -> Option<usize> {
        let pinned: Vec<usize> = (0..self.values.len())
            .filter(|&i| self.marks[i] == Mark::Hidden && bounds[i].0 == bounds[i].1)
            .collect();
        let near = |i: &usize| {
            exposed.iter().any(|e| {
                self.member_of[*e]
                    .iter()
                    .any(|s| self.member_of[*i].contains(s))
            })
        };
        // Small counts that add up to a shown total with nothing else
        // unknown beside them (three "<3" in a total of 6: 2 each) can
        // only be protected from within: one is shown as "[c]" instead,
        // which a reader cannot tell from any other number.
        for e in exposed {
            for s in &self.member_of[*e] {
                let cells = self.cells_of(*s);
                let only_small = cells.iter().all(|c| self.marks[*c] != Mark::Hidden)
                    && self.best_in(&[*s]).is_none();
                if only_small && self.marks[*e] == Mark::Fewer {
                    return Some(*e);
                }
            }
        }
        let targets: Vec<usize> = pinned
            .iter()
            .filter(|i| near(i))
            .chain(exposed.iter())
            .chain(pinned.iter().filter(|i| !near(i)))
            .copied()
            .collect();
        for t in &targets {
            if let Some(c) = self.best_in(&self.member_of[*t]) {
                return Some(c);
            }
        }
        exposed
            .iter()
            .find_map(|e| {
                self.member_of[*e]
                    .iter()
                    .map(|s| self.sums[*s].total)
                    .find(|t| self.marks[*t] == Mark::Fewer && self.kinds[*t] != Kind::Fixed)
            })
            .or_else(|| {
                exposed
                    .iter()
                    .copied()
                    .find(|e| self.marks[*e] == Mark::Fewer)
            })
    }

    /// The shown cell to withhold among these sums' cells: a school's
    /// figure before the trust's; a non-zero one before a nought; one that
    /// also ends a lone unknown in another sum (closing the rectangle every
    /// small count in a table with totals needs); one that starts no new
    /// lone unknown; then the smallest that can absorb any small count
    /// (2k-1 or more), else the largest.
    fn best_in(&self, sums: &[usize]) -> Option<usize> {
        let k = self.k;
        let mut best: Option<(Preference, usize)> = None;
        for s in sums {
            for c in self.cells_of(*s) {
                if self.marks[c] != Mark::Shown || self.kinds[c] == Kind::Fixed {
                    continue;
                }
                let v = self.values[c];
                let others = || self.member_of[c].iter().filter(|o| !sums.contains(o));
                let mends = others().filter(|o| self.unknowns(**o) == 1).count() as i64;
                let starts = others().filter(|o| self.unknowns(**o) == 0).count();
                let size = if v >= 2 * k - 1 {
                    (false, v)
                } else {
                    (true, -v)
                };
                let key = (self.kinds[c], v == 0, -mends, starts, size);
                if best.as_ref().is_none_or(|(b, bc)| (key, c) < (*b, *bc)) {
                    best = Some((key, c));
                }
            }
        }
        best.map(|(_, c)| c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A table of `rows` lines by `cols` schools, with the whole trust's
    /// figure for each line (a margin), each school's total (fixed) and the
    /// grand total; returns the grid and the cells of the lines.
    fn table(k: i32, rows: &[&[i64]]) -> (Grid, Vec<Vec<usize>>, Vec<usize>) {
        let mut g = Grid::new(k);
        let cols = rows[0].len();
        let cells: Vec<Vec<usize>> = rows
            .iter()
            .map(|r| r.iter().map(|v| g.cell(*v, Kind::Part)).collect())
            .collect();
        let margins: Vec<usize> = rows
            .iter()
            .map(|r| g.cell(r.iter().sum(), Kind::Margin))
            .collect();
        let totals: Vec<usize> = (0..cols)
            .map(|c| g.cell(rows.iter().map(|r| r[c]).sum(), Kind::Fixed))
            .collect();
        let grand = g.cell(rows.iter().flat_map(|r| r.iter()).sum(), Kind::Fixed);
        for (r, line) in cells.iter().enumerate() {
            g.sum(margins[r], line.clone());
        }
        for c in 0..cols {
            g.sum(totals[c], cells.iter().map(|l| l[c]).collect());
        }
        g.sum(grand, margins.clone());
        g.sum(grand, totals.clone());
        (g, cells, margins)
    }

    #[test]
    fn one_small_count_in_a_row_that_adds_up_takes_three_more_with_it() {
        let (mut g, cells, margins) = table(3, &[&[20, 9, 2], &[15, 7, 6], &[5, 0, 0]]);
        g.suppress();
        assert_eq!(g.mark(cells[0][2]), Mark::Fewer);
        let hidden: Vec<usize> = cells
            .iter()
            .flatten()
            .copied()
            .filter(|c| g.mark(*c) == Mark::Hidden)
            .collect();
        // A rectangle: one more in its row, one in its column, one opposite.
        assert_eq!(hidden.len(), 3, "{hidden:?}");
        assert!(g.exposed().is_empty());
        // The whole trust's figures and every total stay shown.
        assert!(margins.iter().all(|m| g.mark(*m) == Mark::Shown));
        let b = g.bounds();
        assert_eq!(b[cells[0][2]], (1, 2));
    }

    #[test]
    fn a_total_minus_the_shown_schools_would_give_the_small_one_away() {
        // Without complementary suppression: 31 - 20 - 9 = 2.
        let mut g = Grid::new(3);
        let parts = [
            g.cell(20, Kind::Part),
            g.cell(9, Kind::Part),
            g.cell(2, Kind::Part),
        ];
        let total = g.cell(31, Kind::Margin);
        g.sum(total, parts.to_vec());
        g.marks[parts[2]] = Mark::Fewer;
        assert_eq!(g.bounds()[parts[2]], (2, 2), "the reader's sum");
        g.suppress();
        assert!(g.exposed().is_empty());
        assert_eq!(g.mark(parts[1]), Mark::Hidden, "the smaller school hides");
        assert_eq!(g.mark(total), Mark::Shown, "the trust's figure stays");
    }

    #[test]
    fn two_small_counts_that_add_up_to_their_least_are_both_given_away() {
        // 12 - 10 = 2, from two cells of "<3": each must be 1.
        let mut g = Grid::new(3);
        let parts = [
            g.cell(10, Kind::Part),
            g.cell(1, Kind::Part),
            g.cell(1, Kind::Part),
        ];
        let total = g.cell(12, Kind::Margin);
        g.sum(total, parts.to_vec());
        g.marks[parts[1]] = Mark::Fewer;
        g.marks[parts[2]] = Mark::Fewer;
        assert_eq!(g.bounds()[parts[1]], (1, 1));
        g.suppress();
        assert!(g.exposed().is_empty(), "{:?}", g.marks);
    }

    #[test]
    fn a_whole_trust_line_of_two_ones_is_withheld_rather_than_shown_as_under_k() {
        // "<3" = "<3" + "<3": each is at least 1, so the line is 2 and
        // each school's count is 1. Shown as "[c]", it could be anything.
        let mut g = Grid::new(3);
        let parts = [
            g.cell(1, Kind::Part),
            g.cell(1, Kind::Part),
            g.cell(0, Kind::Part),
        ];
        let line = g.cell(2, Kind::Margin);
        g.sum(line, parts.to_vec());
        g.suppress();
        assert!(g.exposed().is_empty(), "{:?}", g.marks);
        assert_eq!(g.mark(line), Mark::Hidden);
        assert_eq!(g.mark(parts[0]), Mark::Fewer);
    }

    /// What an exact reader can tell of each interior cell of a [`table`]:
    /// every value it takes in some filling-in of the withheld cells that
    /// agrees with everything shown. Checked against the bounds, which may
    /// only ever know less than this reader.
    fn exact_reader(g: &Grid, cells: &[Vec<usize>], col_totals: &[i64]) -> Vec<Vec<i64>> {
        let rows = cells.len();
        let cols = cells[0].len();
        let mut seen: Vec<Vec<i64>> = vec![Vec::new(); g.values.len()];
        let mut values: Vec<Vec<i64>> = cells
            .iter()
            .map(|r| r.iter().map(|c| g.values[*c]).collect())
            .collect();
        let fits = |cell: usize, v: i64| match g.marks[cell] {
            Mark::Shown => v == g.values[cell],
            Mark::Fewer => v >= 1 && v < g.k,
            Mark::Hidden => v >= 0,
        };
        #[allow(clippy::too_many_arguments)]
        fn walk(
            g: &Grid,
            cells: &[Vec<usize>],
            col_totals: &[i64],
            at: usize,
            values: &mut Vec<Vec<i64>>,
            fits: &dyn Fn(usize, i64) -> bool,
            seen: &mut Vec<Vec<i64>>,
            margins: &[usize],
            totals: &[usize],
            grand: usize,
        ) {
            let (rows, cols) = (cells.len(), cells[0].len());
            if at > 0 && at.is_multiple_of(cols) {
                // A line is complete: its whole-trust figure must fit.
                let r = at / cols - 1;
                if !fits(margins[r], values[r].iter().sum()) {
                    return;
                }
            }
            if at == rows * cols {
                for c in 0..cols {
                    let v: i64 = values.iter().map(|r| r[c]).sum();
                    if !fits(totals[c], v) {
                        return;
                    }
                }
                let all: i64 = values.iter().flatten().sum();
                if !fits(grand, all) {
                    return;
                }
                for (r, line) in cells.iter().enumerate() {
                    for (c, cell) in line.iter().enumerate() {
                        if !seen[*cell].contains(&values[r][c]) {
                            seen[*cell].push(values[r][c]);
                        }
                    }
                }
                return;
            }
            let (r, c) = (at / cols, at % cols);
            let cell = cells[r][c];
            // The columns' totals are shown: what is left of one bounds
            // its cells, and its last cell is what is left.
            let left = col_totals[c] - values[..r].iter().map(|l| l[c]).sum::<i64>();
            let candidates: Vec<i64> = match g.marks[cell] {
                _ if r == rows - 1 => vec![left],
                Mark::Shown => vec![g.values[cell]],
                Mark::Fewer => (1..g.k).collect(),
                Mark::Hidden => (0..=left).collect(),
            };
            let candidates: Vec<i64> = candidates
                .into_iter()
                .filter(|v| *v >= 0 && *v <= left && fits(cell, *v))
                .collect();
            for v in candidates {
                values[r][c] = v;
                walk(
                    g,
                    cells,
                    col_totals,
                    at + 1,
                    values,
                    fits,
                    seen,
                    margins,
                    totals,
                    grand,
                );
            }
        }
        // The table's layout: lines, their margins, the columns' totals,
        // the grand total (see `table`).
        let n = rows * cols;
        let margins: Vec<usize> = (n..n + rows).collect();
        let totals: Vec<usize> = (n + rows..n + rows + cols).collect();
        let grand = n + rows + cols;
        walk(
            g,
            cells,
            col_totals,
            0,
            &mut values,
            &fits,
            &mut seen,
            &margins,
            &totals,
            grand,
        );
        seen
    }

    #[test]
    fn in_small_random_tables_no_small_count_can_be_worked_out() {
        // A fixed sequence (no randomness between runs).
        let mut seed: u64 = 0x5eed_1234_abcd;
        let mut next = |n: i64| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((seed >> 33) as i64).rem_euclid(n)
        };
        let (mut tables, mut protected, mut tries) = (0, 0, 0);
        while tables < 150 {
            tries += 1;
            assert!(tries < 20_000, "too few tables fit");
            // Two or three lines by two to four schools, small numbers so
            // that small counts are common and the search stays quick.
            let rows = 2 + next(2) as usize;
            let cols = 2 + next(3) as usize;
            let values: Vec<Vec<i64>> = (0..rows)
                .map(|_| {
                    (0..cols)
                        .map(|_| [0, 1, 2, 3, 5][next(5) as usize])
                        .collect()
                })
                .collect();
            let col_totals: Vec<i64> = (0..cols)
                .map(|c| values.iter().map(|r| r[c]).sum())
                .collect();
            // As the report builds them: no school's total is small.
            if col_totals.iter().any(|t| *t >= 1 && *t < 3) {
                continue;
            }
            let refs: Vec<&[i64]> = values.iter().map(Vec::as_slice).collect();
            let (mut g, cells, _) = table(3, &refs);
            g.suppress();
            assert!(g.exposed().is_empty(), "{values:?}: {:?}", g.marks);
            tables += 1;
            let seen = exact_reader(&g, &cells, &col_totals);
            for c in cells.iter().flatten() {
                if g.mark(*c) == Mark::Fewer {
                    let mut could_be = seen[*c].clone();
                    could_be.sort_unstable();
                    assert_eq!(
                        could_be,
                        vec![1, 2],
                        "{values:?}: a reader narrows cell {c}; marks {:?}",
                        g.marks
                    );
                    protected += 1;
                }
                // A small count shown as "[c]" cannot be pinned either.
                if g.mark(*c) == Mark::Hidden && (1..3).contains(&g.values[*c]) {
                    assert!(
                        seen[*c].len() > 1,
                        "{values:?}: a reader tells withheld cell {c}; marks {:?}",
                        g.marks
                    );
                }
            }
        }
        assert!(protected > 60, "{protected} small counts were checked");
    }
}
