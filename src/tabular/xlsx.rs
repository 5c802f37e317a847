//! XLSX, read in a child process: `pesiar` run again as `__baca-xlsx IN OUT LIMITS…` checks the
//! archive within the limits, streams the first sheet's cells (never a dense range) and writes
//! them as a numbered CSV that the server then reads like any other. The child runs under an
//! address-space, CPU-time and file-size limit, so a bug in the spreadsheet parser can at worst
//! end the child, which the server reports as one clear error.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use calamine::{Data, Reader, Xlsx};
use chrono::NaiveDate;

use super::Limits;

/// The subcommand the child is started with.
pub const CHILD_COMMAND: &str = "__baca-xlsx";
/// Address space of the child: the parser, its shared strings and the zip reader.
const CHILD_ADDRESS_SPACE: u64 = 2 << 30;
const CHILD_CPU_SECONDS: u64 = 900;
/// Entries an XLSX may have (a workbook has a few dozen).
const MAX_ENTRIES: usize = 10_000;
/// How many times its own size an XLSX may unpack to (spreadsheets compress 5-20 times; a
/// deflate bomb thousands of times), beyond a small allowance.
const MAX_RATIO: u64 = 100;
const RATIO_ALLOWANCE: u64 = 64 << 20;

static PROGRAM: OnceLock<PathBuf> = OnceLock::new();

/// Sets the program started to read XLSX files: the `pesiar` binary. `cli::main` sets it to the
/// running executable; a test harness sets it to the built binary.
pub fn use_program(path: PathBuf) {
    let _ = PROGRAM.set(path);
}

/// Converts `input` to a numbered CSV at `output` in a child process within `limits`.
pub(super) fn convert_isolated(input: &Path, output: &Path, limits: Limits) -> Result<(), String> {
    let Some(program) = PROGRAM.get() else {
        if cfg!(test) {
            return convert(input, output, limits);
        }
        tracing::error!("tabular: no program set for reading XLSX files");
        return Err("Pembaca XLSX tidak tersedia di server ini.".into());
    };
    let mut command = Command::new(program);
    command
        .arg(CHILD_COMMAND)
        .arg(input)
        .arg(output)
        .args(limits.to_args())
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let result = command.output().map_err(|e| {
        tracing::error!(error = %e, "tabular: cannot start the XLSX reader");
        "Pembaca XLSX tidak dapat dijalankan.".to_string()
    })?;
    if result.status.success() {
        return Ok(());
    }
    let said: String = String::from_utf8_lossy(&result.stderr)
        .trim()
        .chars()
        .take(600)
        .collect();
    if result.status.code() == Some(CHILD_REFUSED) && !said.is_empty() {
        return Err(said);
    }
    tracing::warn!(status = %result.status, "tabular: the XLSX reader ended abnormally");
    Err(
        "Pembaca XLSX berhenti sebelum selesai (batas memori, waktu atau ukuran terlampaui); \
         berkas tidak diimpor. Simpan ulang sebagai CSV UTF-8 atau periksa berkasnya."
            .into(),
    )
}

/// The child's exit code when it refuses a file (its message is on standard error).
const CHILD_REFUSED: i32 = 3;

/// The child's side: limits itself, converts, and exits 0, or 3 with a message.
pub fn child_main(args: &[String]) -> ! {
    let code = match child_run(args) {
        Ok(()) => 0,
        Err(message) => {
            eprintln!("{message}");
            CHILD_REFUSED
        }
    };
    std::process::exit(code)
}

fn child_run(args: &[String]) -> Result<(), String> {
    let [input, output, limits @ ..] = args else {
        return Err("Pemanggilan pembaca XLSX salah.".into());
    };
    let limits = Limits::from_args(limits).ok_or("Pemanggilan pembaca XLSX salah.")?;
    limit_self(&limits);
    convert(Path::new(input), Path::new(output), limits)
}

fn limit_self(limits: &Limits) {
    let set = |resource, value: u64| {
        let limit = libc::rlimit {
            rlim_cur: value,
            rlim_max: value,
        };
        // SAFETY: setrlimit reads one rlimit struct, which `limit` is.
        unsafe { libc::setrlimit(resource, &limit) };
    };
    set(libc::RLIMIT_AS, CHILD_ADDRESS_SPACE);
    set(libc::RLIMIT_CPU, CHILD_CPU_SECONDS);
    set(libc::RLIMIT_CORE, 0);
    // The CSV written is never larger than what the archive unpacks to.
    set(libc::RLIMIT_FSIZE, limits.unzipped_bytes + (1 << 20));
}

/// Checks the archive, then writes the first sheet as CSV rows of `line, cells…`.
pub(super) fn convert(input: &Path, output: &Path, limits: Limits) -> Result<(), String> {
    check_archive(input, &limits)?;
    let mut workbook: Xlsx<_> = calamine::open_workbook(input)
        .map_err(|e| format!("Berkas XLSX tidak dapat dibaca: {e}"))?;
    let sheet = workbook
        .sheet_names()
        .first()
        .cloned()
        .ok_or("Berkas XLSX tidak punya lembar kerja.")?;
    let mut cells = workbook
        .worksheet_cells_reader(&sheet)
        .map_err(|e| format!("Lembar pertama tidak dapat dibaca: {e}"))?;
    // The converted rows hold the same personal data as the upload: readable by pesiar only.
    let file = {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(output)
            .map_err(|e| format!("Berkas sementara: {e}"))?
    };
    let mut out = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(BufWriter::with_capacity(1 << 16, file));
    // A row: its index, its cells, and which of them were number cells.
    let mut current: Option<(u32, Vec<String>, Vec<usize>)> = None;
    let mut rows = 0usize;
    let mut flush = |row: (u32, Vec<String>, Vec<usize>)| -> Result<(), String> {
        rows += 1;
        if rows > limits.rows + 1 {
            return Err(format!(
                "Berkas lebih dari {} baris (batas satu berkas); bagi menjadi beberapa berkas.",
                limits.rows
            ));
        }
        // `line:col:col…`: the reader tells which cells were numbers (see `Table::numeric_cells`).
        let mut line = (u64::from(row.0) + 1).to_string();
        for col in &row.2 {
            line.push(':');
            line.push_str(&col.to_string());
        }
        out.write_record(std::iter::once(line.as_str()).chain(row.1.iter().map(String::as_str)))
            .map_err(|e| format!("Berkas sementara: {e}"))
    };
    loop {
        let cell = match cells.next_cell() {
            Ok(Some(cell)) => cell,
            Ok(None) => break,
            Err(e) => return Err(format!("Lembar pertama tidak dapat dibaca: {e}")),
        };
        let (row, col) = cell.get_position();
        let col = col as usize;
        if col >= limits.columns {
            return Err(format!(
                "Baris {} punya lebih dari {} kolom (batas satu berkas); berkas tidak diimpor.",
                u64::from(row) + 1,
                limits.columns
            ));
        }
        let data = Data::from(cell.get_value().clone());
        let numeric = matches!(data, Data::Float(_) | Data::Int(_));
        let text = cell_text(&data);
        if text.len() > limits.cell_bytes {
            return Err(format!(
                "Baris {}, kolom ke-{}: isi sel lebih dari batas {} karakter.",
                u64::from(row) + 1,
                col + 1,
                limits.cell_bytes
            ));
        }
        if current.as_ref().is_some_and(|(r, _, _)| *r != row)
            && let Some(done) = current.take()
        {
            flush(done)?;
        }
        let (_, row_cells, numbers) = current.get_or_insert_with(|| (row, Vec::new(), Vec::new()));
        if row_cells.len() <= col {
            row_cells.resize(col + 1, String::new());
        }
        row_cells[col] = text;
        if numeric {
            numbers.push(col);
        }
    }
    if let Some(done) = current {
        flush(done)?;
    }
    let mut writer = out
        .into_inner()
        .map_err(|e| format!("Berkas sementara: {e}"))?;
    writer.flush().map_err(|e| format!("Berkas sementara: {e}"))
}

/// Unpacks every entry once, counting, before the parser sees any: the archive as a whole
/// unpacks to at most `unzipped_bytes`, and the shared strings (which the parser keeps in
/// memory) are at most `shared_strings`, both as declared and as found.
fn check_archive(input: &Path, limits: &Limits) -> Result<(), String> {
    let file = File::open(input).map_err(|e| format!("Berkas tidak dapat dibuka: {e}"))?;
    let mut archive = zip::ZipArchive::new(BufReader::new(file))
        .map_err(|e| format!("Berkas XLSX tidak dapat dibaca (arsip rusak): {e}"))?;
    if archive.len() > MAX_ENTRIES {
        return Err(format!(
            "Berkas XLSX berisi lebih dari {MAX_ENTRIES} bagian; bukan lembar kerja biasa."
        ));
    }
    let size = std::fs::metadata(input).map(|m| m.len()).unwrap_or(0);
    let unzipped_limit = limits
        .unzipped_bytes
        .min(RATIO_ALLOWANCE.max(size.saturating_mul(MAX_RATIO)));
    let mut total: u64 = 0;
    let too_big = || {
        if unzipped_limit < limits.unzipped_bytes {
            format!(
                "Isi berkas XLSX setelah dibuka lebih dari {MAX_RATIO} kali ukuran berkasnya                  (batas; berkas rusak atau sengaja dibuat berbahaya); berkas tidak diimpor."
            )
        } else {
            format!(
                "Isi berkas XLSX setelah dibuka lebih dari {} MB (batas); berkas tidak diimpor.",
                limits.unzipped_bytes >> 20
            )
        }
    };
    for index in 0..archive.len() {
        let mut entry = archive
            .by_index(index)
            .map_err(|e| format!("Berkas XLSX tidak dapat dibaca (arsip rusak): {e}"))?;
        let name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
        if name == "mimetype" {
            let mut head = Vec::new();
            let _ = (&mut entry).take(100).read_to_end(&mut head);
            if head.windows(11).any(|w| w == b"opendocumen") {
                return Err(
                    "Berkas OpenDocument (.ods) belum dapat dibaca; simpan sebagai \
                            .xlsx atau CSV UTF-8 lalu unggah lagi."
                        .into(),
                );
            }
            continue;
        }
        let mut counter = Counter::new(name.ends_with("sharedStrings.xml"));
        let allowed = unzipped_limit - total;
        let n = std::io::copy(&mut (&mut entry).take(allowed + 1), &mut counter)
            .map_err(|e| format!("Berkas XLSX tidak dapat dibaca (arsip rusak): {e}"))?;
        total += n;
        if total > unzipped_limit {
            return Err(too_big());
        }
        let strings = counter.strings.max(counter.declared);
        if strings > limits.shared_strings as u64 {
            return Err(format!(
                "Berkas XLSX memuat lebih dari {} teks berbeda (batas); berkas tidak diimpor.",
                limits.shared_strings
            ));
        }
    }
    Ok(())
}

/// Counts bytes, and in the shared strings part the `<si>` elements and the declared count.
struct Counter {
    shared_strings: bool,
    head: Vec<u8>,
    declared: u64,
    strings: u64,
    /// The last bytes of the previous write, so an element split across writes is counted.
    tail: [u8; 3],
}

impl Counter {
    fn new(shared_strings: bool) -> Self {
        Self {
            shared_strings,
            head: Vec::new(),
            declared: 0,
            strings: 0,
            tail: [0; 3],
        }
    }
}

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.shared_strings {
            if self.head.len() < 4096 {
                let take = (4096 - self.head.len()).min(buf.len());
                self.head.extend_from_slice(&buf[..take]);
                self.declared = declared_count(&self.head);
            }
            let mut joined = self.tail.to_vec();
            joined.extend_from_slice(&buf[..buf.len().min(3)]);
            let seam = joined.windows(4).filter(|w| is_si(w)).count();
            let inside = buf.windows(4).filter(|w| is_si(w)).count();
            self.strings += (seam + inside) as u64;
            if buf.len() >= 3 {
                self.tail.copy_from_slice(&buf[buf.len() - 3..]);
            }
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn is_si(w: &[u8]) -> bool {
    w[..3] == *b"<si" && matches!(w[3], b'>' | b' ' | b'/')
}

/// The larger of `count` and `uniqueCount` on the `<sst>` element, if it is in `head`.
fn declared_count(head: &[u8]) -> u64 {
    let text = String::from_utf8_lossy(head);
    ["count=\"", "uniqueCount=\""]
        .iter()
        .filter_map(|attr| {
            let at = text.find(attr)? + attr.len();
            let digits: String = text[at..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            Some(digits.parse::<u64>().unwrap_or(u64::MAX))
        })
        .max()
        .unwrap_or(0)
}

/// A spreadsheet cell as the text a person would type: whole numbers without ".0", dates as
/// YYYY-MM-DD.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        // Through calamine's own conversion, which knows the workbook's 1900 or 1904 system.
        Data::DateTime(d) if d.is_datetime() => {
            let (y, m, day, ..) = d.to_ymd_hms_milli();
            NaiveDate::from_ymd_opt(i32::from(y), u32::from(m), u32::from(day))
                .map(|date| date.format("%Y-%m-%d").to_string())
                .unwrap_or_else(|| d.to_string())
        }
        Data::DateTime(d) => d.to_string(),
        Data::DateTimeIso(s) => s.chars().take(10).collect(),
        Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

/// An Excel date serial (days since 1899-12-30 in the 1900 system) as a date.
pub fn excel_serial_date(serial: f64) -> Option<NaiveDate> {
    if !serial.is_finite() || !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_signed(chrono::Duration::days(serial as i64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excel_date_serials() {
        assert_eq!(
            excel_serial_date(45838.0),
            NaiveDate::from_ymd_opt(2025, 6, 30)
        );
        assert_eq!(excel_serial_date(f64::NAN), None);
        assert_eq!(excel_serial_date(-3.0), None);
    }

    #[test]
    fn shared_strings_are_counted_across_writes() {
        let mut counter = Counter::new(true);
        counter
            .write_all(b"<sst count=\"3\" uniqueCount=\"99\"><si><t>a</t></si><s")
            .unwrap();
        counter.write_all(b"i><t>b</t></si><si/>").unwrap();
        assert_eq!(counter.declared, 99);
        assert_eq!(counter.strings, 3);
        assert_eq!(
            declared_count(b"<sst uniqueCount=\"100000000000000000000000\">"),
            u64::MAX
        );
    }
}
