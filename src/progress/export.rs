//! Tables as CSV or XLSX downloads, scoped like the page they come from. CSV text cells that a
//! spreadsheet would run as a formula (starting with =, +, -, @) are neutralised: an apostrophe in
//! CSV, Excel's quote prefix in XLSX.

use actix_web::HttpResponse;
use actix_web::http::header;

use crate::error::AppError;
use crate::tabular::{looks_like_formula, neutralise};

pub enum Cell {
    Text(String),
    Int(i64),
    /// A ratio (0.7996), shown as a percentage in XLSX.
    Ratio(Option<f64>),
}

pub struct Table {
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
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

pub fn to_csv(table: &Table) -> Result<Vec<u8>, AppError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
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
                Cell::Ratio(None) => String::new(),
            })
            .collect();
        writer.write_record(&cells).map_err(AppError::internal)?;
    }
    writer.into_inner().map_err(AppError::internal)
}

pub fn to_xlsx(table: &Table, sheet_name: &str) -> Result<Vec<u8>, AppError> {
    use rust_xlsxwriter::{Format as XlsxFormat, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let _ = sheet.set_name(sheet_name);
    let bold = XlsxFormat::new().set_bold();
    let percent = XlsxFormat::new().set_num_format("0.00%");
    // Excel's own "'" prefix: the cell stays text when edited, and the apostrophe is not shown.
    let quoted = XlsxFormat::new().set_quote_prefix();
    for (col, name) in table.headers.iter().enumerate() {
        sheet
            .write_string_with_format(0, col as u16, *name, &bold)
            .map_err(AppError::internal)?;
    }
    for (i, row) in table.rows.iter().enumerate() {
        let r = (i + 1) as u32;
        for (col, cell) in row.iter().enumerate() {
            let c = col as u16;
            let result = match cell {
                Cell::Text(t) if looks_like_formula(t) => {
                    sheet.write_string_with_format(r, c, t, &quoted).map(|_| ())
                }
                Cell::Text(t) => sheet.write_string(r, c, t).map(|_| ()),
                Cell::Int(n) => sheet.write_number(r, c, *n as f64).map(|_| ()),
                Cell::Ratio(Some(v)) => sheet
                    .write_number_with_format(r, c, *v, &percent)
                    .map(|_| ()),
                Cell::Ratio(None) => Ok(()),
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
            to_xlsx(table, "pesiar")?,
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
            headers: vec!["nama", "angka"],
            rows: vec![
                vec![Cell::Text("=HYPERLINK(\"x\")".into()), Cell::Int(5)],
                vec![Cell::Text("+62".into()), Cell::Ratio(Some(0.79961))],
                vec![Cell::Text("Dago".into()), Cell::Ratio(None)],
            ],
        };
        let csv = String::from_utf8(to_csv(&table).unwrap()).unwrap();
        assert!(csv.contains("\"'=HYPERLINK(\"\"x\"\")\""), "{csv}");
        assert!(csv.contains("'+62,0.7996"));
        assert!(csv.contains("Dago,\n"));
    }

    #[test]
    fn xlsx_is_a_zip_workbook() {
        let table = Table {
            headers: vec!["a"],
            rows: vec![vec![Cell::Ratio(Some(0.5))]],
        };
        assert!(to_xlsx(&table, "s").unwrap().starts_with(b"PK"));
    }
}
