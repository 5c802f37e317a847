//! CSV rows within fixed limits. `csv_core` parses into buffers allocated once: a record that
//! would not fit (too long, too many columns) is an error instead of a larger buffer, so no
//! file can make a row take more memory than the limits allow.

use std::io::Read;

use csv_core::{ReadRecordResult, ReaderBuilder};

use super::{Limits, Row};

const INPUT_BUFFER: usize = 64 * 1024;

pub(super) struct CsvRows<R> {
    input: R,
    core: csv_core::Reader,
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    eof: bool,
    out: Vec<u8>,
    ends: Vec<usize>,
    /// Line feeds consumed so far: the physical line a record starts on is one more.
    lines: u64,
    consumed: u64,
    rows: usize,
    limits: Limits,
    /// The first field holds the row's line number (a converted spreadsheet), not data, and
    /// after it the columns that held numbers (`12:0:9`).
    numbered: bool,
    /// The columns of the row last read that were number cells in the spreadsheet.
    numeric: Vec<usize>,
    /// The last byte consumed, and whether the row last read ended the file without a line
    /// break after it.
    last_byte: u8,
    unterminated: bool,
    done: bool,
}

impl<R: Read> CsvRows<R> {
    pub(super) fn new(input: R, delimiter: u8, limits: Limits, numbered: bool) -> Self {
        Self {
            input,
            core: ReaderBuilder::new().delimiter(delimiter).build(),
            buf: vec![0; INPUT_BUFFER].into_boxed_slice(),
            start: 0,
            end: 0,
            eof: false,
            out: vec![0; limits.record_bytes],
            // One more than allowed, so a record with exactly the limit still fits and one
            // with more is told apart.
            ends: vec![0; limits.columns + 1],
            lines: 0,
            consumed: 0,
            rows: 0,
            limits,
            numbered,
            numeric: Vec::new(),
            last_byte: b'\n',
            unterminated: false,
            done: false,
        }
    }

    pub(super) fn consumed(&self) -> u64 {
        self.consumed
    }

    pub(super) fn numeric(&self) -> &[usize] {
        &self.numeric
    }

    pub(super) fn unterminated(&self) -> bool {
        self.unterminated
    }

    pub(super) fn next_row(&mut self) -> Option<Result<Row, String>> {
        if self.done {
            return None;
        }
        let row = self.read_row();
        if !matches!(row, Ok(Some(_))) {
            self.done = true;
        }
        row.transpose()
    }

    fn fill(&mut self) -> Result<(), String> {
        if self.start == self.end && !self.eof {
            let n = loop {
                match self.input.read(&mut self.buf) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(format!("Berkas tidak dapat dibaca: {e}")),
                }
            };
            self.start = 0;
            self.end = n;
            self.eof = n == 0;
        }
        Ok(())
    }

    fn advance(&mut self, n: usize) {
        let taken = &self.buf[self.start..self.start + n];
        self.lines += taken.iter().filter(|b| **b == b'\n').count() as u64;
        if let Some(last) = taken.last() {
            self.last_byte = *last;
        }
        self.start += n;
        self.consumed += n as u64;
    }

    fn read_row(&mut self) -> Result<Option<Row>, String> {
        // Blank lines before a record are skipped here, so its line number is the line its
        // first byte is on.
        loop {
            self.fill()?;
            match self.buf[self.start..self.end].first() {
                None => return Ok(None),
                Some(b'\n' | b'\r') => self.advance(1),
                Some(_) => break,
            }
        }
        let line = self.lines as usize + 1;
        let (mut nout, mut nends) = (0, 0);
        loop {
            self.fill()?;
            let input = &self.buf[self.start..self.end];
            let (result, nin, o, e) =
                self.core
                    .read_record(input, &mut self.out[nout..], &mut self.ends[nends..]);
            self.advance(nin);
            nout += o;
            nends += e;
            match result {
                ReadRecordResult::InputEmpty => continue,
                ReadRecordResult::OutputFull => {
                    return Err(format!(
                        "Baris {line} lebih panjang dari batas {} KB per baris; berkas tidak \
                         diimpor.",
                        self.limits.record_bytes / 1024
                    ));
                }
                ReadRecordResult::OutputEndsFull => {
                    return Err(too_many_columns(line, &self.limits));
                }
                ReadRecordResult::Record => break,
                ReadRecordResult::End => return Ok(None),
            }
        }
        // A record is ended by its line break, or by the end of the input (nothing left).
        self.unterminated =
            !matches!(self.last_byte, b'\n' | b'\r') && self.start == self.end && self.eof;
        if nends > self.limits.columns + usize::from(self.numbered) {
            return Err(too_many_columns(line, &self.limits));
        }
        self.rows += 1;
        if self.rows > self.limits.rows + 1 {
            return Err(format!(
                "Berkas lebih dari {} baris (batas satu berkas); bagi menjadi beberapa berkas.",
                self.limits.rows
            ));
        }
        let mut cells = Vec::with_capacity(nends);
        let mut from = 0;
        for (column, end) in self.ends[..nends].iter().enumerate() {
            let bytes = &self.out[from..*end];
            from = *end;
            if bytes.len() > self.limits.cell_bytes {
                return Err(format!(
                    "Baris {line}, kolom ke-{}: isi sel lebih dari batas {} karakter.",
                    column + 1 - usize::from(self.numbered),
                    self.limits.cell_bytes
                ));
            }
            let text = std::str::from_utf8(bytes).map_err(|_| {
                format!(
                    "Baris {line}: teks bukan UTF-8. Simpan berkas sebagai \"CSV UTF-8\" lalu \
                     unggah lagi."
                )
            })?;
            cells.push(text.trim().to_string());
        }
        self.numeric.clear();
        let line = if self.numbered && !cells.is_empty() {
            let first = cells.remove(0);
            let mut parts = first.split(':');
            let broken = || "Berkas hasil konversi XLSX rusak.".to_string();
            let line = parts
                .next()
                .and_then(|n| n.parse::<usize>().ok())
                .ok_or_else(broken)?;
            for column in parts {
                self.numeric
                    .push(column.parse::<usize>().map_err(|_| broken())?);
            }
            line
        } else {
            line
        };
        Ok(Some(Row { line, cells }))
    }
}

fn too_many_columns(line: usize, limits: &Limits) -> String {
    format!(
        "Baris {line} punya lebih dari {} kolom (batas satu berkas); berkas tidak diimpor.",
        limits.columns
    )
}

/// The delimiter of a CSV: whichever of `;`, `,` and tab its first ten lines have most of (`,`
/// when none or tied). Ten lines, so a title row above the table does not decide it.
pub(super) fn sniff_delimiter(head: &[u8]) -> u8 {
    let lines: Vec<&[u8]> = head.split(|b| *b == b'\n').take(10).collect();
    let count = |d: u8| -> usize {
        lines
            .iter()
            .map(|line| line.iter().filter(|b| **b == d).count())
            .sum()
    };
    let (commas, semicolons, tabs) = (count(b','), count(b';'), count(b'\t'));
    if semicolons > commas && semicolons >= tabs {
        b';'
    } else if tabs > commas && tabs > semicolons {
        b'\t'
    } else {
        b','
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: Limits = Limits {
        rows: 3,
        columns: 3,
        cell_bytes: 5,
        record_bytes: 32,
        shared_strings: 10,
        unzipped_bytes: 1 << 20,
    };

    fn rows(text: &str, limits: Limits) -> Vec<Result<Row, String>> {
        let mut reader = CsvRows::new(text.as_bytes(), b',', limits, false);
        std::iter::from_fn(|| reader.next_row()).collect()
    }

    #[test]
    fn physical_line_numbers_survive_blank_lines_and_quoted_newlines() {
        let got = rows("a,b\r\n\r\n\"x\ny\",c\nlast,1", SMALL);
        let lines: Vec<usize> = got.iter().map(|r| r.as_ref().unwrap().line).collect();
        assert_eq!(lines, [1, 3, 5]);
        assert_eq!(got[1].as_ref().unwrap().cells, ["x\ny", "c"]);
        assert_eq!(got[2].as_ref().unwrap().cells, ["last", "1"]);
    }

    #[test]
    fn each_limit_is_a_clear_error_and_ends_the_rows() {
        let too_wide = rows("a,b,c,d\n", SMALL);
        assert!(too_wide[0].as_ref().unwrap_err().contains("3 kolom"));
        assert_eq!(too_wide.len(), 1);
        let exactly_wide = rows("a,b,c\n", SMALL);
        assert!(exactly_wide[0].is_ok());
        let long_cell = rows("a,123456\n", SMALL);
        assert!(long_cell[0].as_ref().unwrap_err().contains("5 karakter"));
        let long_record = rows(&format!("\"{}\"\n", "x\n".repeat(40)), SMALL);
        assert!(long_record[0].as_ref().unwrap_err().contains("batas 0 KB"));
        let many = rows("1\n2\n3\n4\n5\n6\n", SMALL);
        assert!(
            many.last()
                .unwrap()
                .as_ref()
                .unwrap_err()
                .contains("3 baris")
        );
        let latin1 = rows("caf\u{e9}\n", SMALL);
        assert!(latin1[0].is_ok());
        let mut reader = CsvRows::new(&b"caf\xe9\n"[..], b',', SMALL, false);
        assert!(reader.next_row().unwrap().unwrap_err().contains("UTF-8"));
    }

    #[test]
    fn numbered_rows_take_their_line_from_the_first_field() {
        let mut reader = CsvRows::new(&b"1,a,b\n7,c\n"[..], b',', SMALL, true);
        let first = reader.next_row().unwrap().unwrap();
        assert_eq!((first.line, first.cells), (1, vec!["a".into(), "b".into()]));
        assert_eq!(reader.next_row().unwrap().unwrap().line, 7);
        assert!(reader.next_row().is_none());
    }

    #[test]
    fn delimiters() {
        assert_eq!(sniff_delimiter(b"a;b;c,d\n1;2;3,4"), b';');
        assert_eq!(sniff_delimiter(b"Data 2025, Kota\na;b;c\n1;2;3"), b';');
        assert_eq!(sniff_delimiter(b"a,b\n"), b',');
        assert_eq!(sniff_delimiter(b"a\tb\tc\n"), b'\t');
        assert_eq!(sniff_delimiter(b""), b',');
    }
}
