//! `pesiar config insentif`: incentive rates from the command line, the same rows, checks and
//! audit as `/admin/insentif`.

use clap::Subcommand;

use super::rates::{self, RateForm};
use crate::db::{DbConnection, write_transaction};

#[derive(Subcommand, Debug)]
pub enum RateCommand {
    /// Every rate: area, outcome (reaktivasi, pendaftaran), first day, rupiah.
    List,
    /// Add a rate per confirmed outcome in an area from a date (replacing one of the same
    /// area, outcome and date).
    Set {
        /// Area code: kab/kota, kecamatan or desa/kelurahan (e.g. 32.73).
        #[arg(long = "wilayah")]
        area: String,
        /// reaktivasi or pendaftaran.
        #[arg(long = "hasil")]
        outcome: String,
        /// Whole rupiah per confirmed outcome.
        value: String,
        /// First day in force (YYYY-MM-DD).
        #[arg(long = "mulai")]
        from: String,
    },
}

pub fn run(conn: &mut DbConnection, command: RateCommand) -> anyhow::Result<()> {
    match command {
        RateCommand::List => {
            for r in rates::all(conn)? {
                println!(
                    "{}\t{}\tmulai {}\t{}",
                    r.region_code,
                    r.kind.as_str(),
                    r.valid_from,
                    r.amount
                );
            }
            Ok(())
        }
        RateCommand::Set {
            area,
            outcome,
            value,
            from,
        } => {
            let form = RateForm {
                wilayah: area,
                jenis: outcome,
                mulai: from,
                nilai: value,
                submission_key: String::new(),
            };
            let rate = write_transaction(conn, |conn| -> anyhow::Result<_> {
                let rate = rates::check(conn, &form)?.map_err(|errors| {
                    let lines: Vec<String> = ["wilayah", "jenis", "mulai", "nilai"]
                        .iter()
                        .filter_map(|f| errors.get(f).map(str::to_string))
                        .collect();
                    anyhow::anyhow!(lines.join("\n"))
                })?;
                rates::set(conn, &rate, None)?;
                Ok(rate)
            })?;
            println!(
                "Tarif {} {} = {} berlaku mulai {}.",
                rate.region_code,
                rate.kind.as_str(),
                rate.amount,
                rate.valid_from
            );
            Ok(())
        }
    }
}
