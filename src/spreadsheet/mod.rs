//! The incident log as a spreadsheet: the columns the policy's log has
//! (PRODUCT.md "CSV for audits") plus safelog's own, how a cell is written
//! so that no spreadsheet runs it as a formula, and reading the old
//! spreadsheet back in.

pub mod cells;
pub mod columns;
pub mod read;
