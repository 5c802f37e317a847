//! Dated figures per desa/kelurahan — population (Dukcapil), registered and active members
//! (BPJS branch), optionally per segment — loaded from CSV or XLSX, and their roll-ups.

pub mod derive;
pub mod parse;
pub mod preview;
pub mod routes;
pub mod store;

use chrono::NaiveDate;

use crate::members::Segment;

/// One valid row of a figures file.
#[derive(Clone, Debug, PartialEq)]
pub struct FigureRow {
    pub line: usize,
    pub region_code: String,
    pub date: NaiveDate,
    pub population: i64,
    pub registered: i64,
    pub active: i64,
    /// (segment, registered, active) for the optional per-segment columns.
    pub segments: Vec<(Segment, Option<i64>, Option<i64>)>,
}

/// A problem with one cell or row: reported per line so the file can be fixed and sent again.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RowError {
    pub line: usize,
    pub column: String,
    /// The cell as written (cut short), where one cell is at fault.
    #[serde(default)]
    pub value: String,
    pub message: String,
}

impl RowError {
    pub fn new(line: usize, column: &str, message: impl Into<String>) -> Self {
        Self {
            line,
            column: column.to_string(),
            value: String::new(),
            message: message.into(),
        }
    }

    /// The same error naming the cell's value (at most 40 characters of it).
    pub fn with_value(mut self, value: &str) -> Self {
        self.value = value.trim().chars().take(40).collect();
        self
    }
}
