//! Tables as CSV or XLSX downloads, scoped like the page they come from. CSV text cells that a
//! spreadsheet would run as a formula (starting with =, +, -, @) are neutralised: an apostrophe in
//! CSV, Excel's quote prefix in XLSX.

use actix_web::HttpResponse;
use actix_web::http::header;
use chrono::NaiveDate;

use crate::error::AppError;
use crate::tabular::{looks_like_formula, neutralise};

pub enum Cell {
    Text(String),
    Int(i64),
    /// A ratio (0.7996), shown as a percentage in XLSX.
    Ratio(Option<f64>),
    /// A date cell in XLSX (ISO text in CSV).
    Date(Option<NaiveDate>),
}

pub struct Table {
    /// The XLSX sheet's name.
    pub sheet: &'static str,
    /// Column keys: the CSV header as is (for tools, and the importers read them back); the
    /// XLSX header shows them as titles (`title`).
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
    /// The XLSX total row, bold under the rows (left out of CSV, which tools read row by row).
    pub total: Option<Vec<Cell>>,
}

impl Table {
    /// "Jumlah" in the first column, the sum of each number column and the latest of each date
    /// column; ratios and text stay empty (a sum of ratios means nothing).
    pub fn sum_total(&mut self) {
        let mut total: Vec<Cell> = (0..self.headers.len())
            .map(|_| Cell::Text(String::new()))
            .collect();
        for (col, slot) in total.iter_mut().enumerate().skip(1) {
            let cells = self.rows.iter().filter_map(|r| r.get(col));
            *slot = match self.rows.first().and_then(|r| r.get(col)) {
                Some(Cell::Int(_)) => Cell::Int(
                    cells
                        .map(|c| if let Cell::Int(n) = c { *n } else { 0 })
                        .sum(),
                ),
                Some(Cell::Date(_)) => Cell::Date(
                    cells
                        .filter_map(|c| if let Cell::Date(d) = c { *d } else { None })
                        .max(),
                ),
                _ => Cell::Text(String::new()),
            };
        }
        total[0] = Cell::Text(TOTAL_LABEL.into());
        self.total = Some(total);
    }
}

pub const TOTAL_LABEL: &str = "Jumlah";

/// A column key as a title: "kode_wilayah" → "Kode wilayah", with the few that read better
/// otherwise.
pub fn title(key: &str) -> String {
    match key {
        "rt" => return "RT".into(),
        "rw" => return "RW".into(),
        "desa_kelurahan" => return "Desa/kelurahan".into(),
        "telepon" => return "Nomor HP".into(),
        "desa_per_tanggal" => return "Desa dengan data per tanggal".into(),
        "desa_data_sebelumnya" => return "Desa dengan data sebelumnya".into(),
        "rumah_tangga" => return "Rumah tangga".into(),
        _ => {}
    }
    let text = key.replace('_', " ");
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "csv" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            _ => None,
        }
    }
}

/// CSV in UTF-8 with a byte-order mark, which Excel needs to read it as UTF-8 (names with
/// accents, "→").
pub fn to_csv(table: &Table) -> Result<Vec<u8>, AppError> {
    let mut writer = csv::Writer::from_writer("\u{feff}".as_bytes().to_vec());
    writer
        .write_record(&table.headers)
        .map_err(AppError::internal)?;
    for row in &table.rows {
        let cells: Vec<String> = row
            .iter()
            .map(|cell| match cell {
                Cell::Text(t) => neutralise(t),
                Cell::Int(n) => n.to_string(),
                Cell::Ratio(Some(r)) => format!("{r:.4}"),
                Cell::Ratio(None) | Cell::Date(None) => String::new(),
                Cell::Date(Some(d)) => d.to_string(),
            })
            .collect();
        writer.write_record(&cells).map_err(AppError::internal)?;
    }
    writer.into_inner().map_err(AppError::internal)
}

pub fn to_xlsx(table: &Table) -> Result<Vec<u8>, AppError> {
    use rust_xlsxwriter::{ExcelDateTime, Format as XlsxFormat, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(table.sheet).map_err(AppError::internal)?;
    let bold = XlsxFormat::new().set_bold();
    let percent = XlsxFormat::new().set_num_format("0.00%");
    let whole = XlsxFormat::new().set_num_format("#,##0");
    let date = XlsxFormat::new().set_num_format("dd-mm-yyyy");
    // Excel's own "'" prefix: the cell stays text when edited, and the apostrophe is not shown.
    let quoted = XlsxFormat::new().set_quote_prefix();
    for (col, key) in table.headers.iter().enumerate() {
        let name = title(key);
        sheet
            .write_string_with_format(0, col as u16, &name, &bold)
            .map_err(AppError::internal)?;
        let width = name.chars().count().clamp(8, 30) as f64 + 2.0;
        sheet
            .set_column_width(col as u16, width)
            .map_err(AppError::internal)?;
    }
    sheet.set_freeze_panes(1, 0).map_err(AppError::internal)?;
    let rows = table.rows.iter().map(|r| (r, false));
    let total = table.total.iter().map(|r| (r, true));
    for (i, (row, is_total)) in rows.chain(total).enumerate() {
        let r = (i + 1) as u32;
        let with = |f: &XlsxFormat| {
            if is_total {
                f.clone().set_bold()
            } else {
                f.clone()
            }
        };
        for (col, cell) in row.iter().enumerate() {
            let c = col as u16;
            let result = match cell {
                Cell::Text(t) if looks_like_formula(t) => sheet
                    .write_string_with_format(r, c, t, &with(&quoted))
                    .map(|_| ()),
                Cell::Text(t) if t.is_empty() => Ok(()),
                Cell::Text(t) => sheet
                    .write_string_with_format(r, c, t, &with(&XlsxFormat::new()))
                    .map(|_| ()),
                Cell::Int(n) => sheet
                    .write_number_with_format(r, c, *n as f64, &with(&whole))
                    .map(|_| ()),
                Cell::Ratio(Some(v)) => sheet
                    .write_number_with_format(r, c, *v, &with(&percent))
                    .map(|_| ()),
                Cell::Date(Some(d)) => {
                    use chrono::Datelike;
                    let day =
                        ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)
                            .map_err(AppError::internal)?;
                    sheet
                        .write_datetime_with_format(r, c, &day, &with(&date))
                        .map(|_| ())
                }
                Cell::Ratio(None) | Cell::Date(None) => Ok(()),
            };
            result.map_err(AppError::internal)?;
        }
    }
    book.save_to_buffer().map_err(AppError::internal)
}

/// The download response; `stem` becomes the file name (digits, letters, dots, dashes only).
pub fn download(table: &Table, format: Format, stem: &str) -> Result<HttpResponse, AppError> {
    let stem: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let (body, content_type, ext) = match format {
        Format::Csv => (to_csv(table)?, "text/csv; charset=utf-8", "csv"),
        Format::Xlsx => (
            to_xlsx(table)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{stem}.{ext}\""),
        ))
        .body(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised_in_csv() {
        let table = Table {
            sheet: "Uji",
            total: None,
            headers: vec!["nama", "angka"],
            rows: vec![
                vec![Cell::Text("=HYPERLINK(\"x\")".into()), Cell::Int(5)],
                vec![Cell::Text("+62".into()), Cell::Ratio(Some(0.79961))],
                vec![Cell::Text("Dago".into()), Cell::Ratio(None)],
            ],
        };
        let csv = String::from_utf8(to_csv(&table).unwrap()).unwrap();
        assert!(csv.starts_with("\u{feff}nama,angka"), "a BOM for Excel");
        assert!(csv.contains("\"'=HYPERLINK(\"\"x\"\")\""), "{csv}");
        assert!(csv.contains("'+62,0.7996"));
        assert!(csv.contains("Dago,\n"));
    }

    #[test]
    fn xlsx_is_a_zip_workbook() {
        let mut table = Table {
            sheet: "Uji",
            total: None,
            headers: vec!["kode_wilayah", "a", "b"],
            rows: vec![
                vec![Cell::Text("x".into()), Cell::Int(2), Cell::Ratio(Some(0.5))],
                vec![Cell::Text("y".into()), Cell::Int(3), Cell::Ratio(None)],
            ],
        };
        table.sum_total();
        let total = table.total.as_ref().unwrap();
        assert!(matches!(&total[0], Cell::Text(t) if t == "Jumlah"));
        assert!(matches!(total[1], Cell::Int(5)));
        assert!(matches!(&total[2], Cell::Text(t) if t.is_empty()));
        assert!(to_xlsx(&table).unwrap().starts_with(b"PK"));
        assert_eq!(title("kode_wilayah"), "Kode wilayah");
    }
}
