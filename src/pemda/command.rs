//! `pesiar config kuota`: the Pemda-paid quota from the command line, the same rows, checks
//! and audit as the kab/kota page `/pemda/{kode}`.

use clap::Subcommand;

use super::quota::{self, QuotaForm};
use crate::db::{DbConnection, write_transaction};

#[derive(Subcommand, Debug)]
pub enum QuotaCommand {
    /// Every quota row: kab/kota, first day, places funded.
    List {
        /// Only this kab/kota (e.g. 33.16).
        #[arg(long = "wilayah")]
        area: Option<String>,
    },
    /// Set the places funded for Pemda-paid membership in a kab/kota from a date (replacing a
    /// row of the same kab/kota and date).
    Set {
        /// Kab/kota code (e.g. 33.16).
        #[arg(long = "wilayah")]
        area: String,
        /// Places funded (whole number; 9.000 or 9000).
        #[arg(long = "tempat")]
        places: String,
        /// First day in force (YYYY-MM-DD).
        #[arg(long = "mulai")]
        from: String,
    },
}

pub fn run(conn: &mut DbConnection, command: QuotaCommand) -> anyhow::Result<()> {
    match command {
        QuotaCommand::List { area } => {
            for q in quota::list(conn, area.as_deref().map(str::trim))? {
                println!("{}\tmulai {}\t{}", q.region_code, q.valid_from, q.places);
            }
            Ok(())
        }
        QuotaCommand::Set { area, places, from } => {
            let form = QuotaForm {
                wilayah: area,
                mulai: from,
                tempat: places,
                submission_key: String::new(),
            };
            let quota = write_transaction(conn, |conn| -> anyhow::Result<_> {
                let quota = quota::check(conn, &form)?.map_err(|errors| {
                    let lines: Vec<String> = ["wilayah", "mulai", "tempat"]
                        .iter()
                        .filter_map(|f| errors.get(f).map(str::to_string))
                        .collect();
                    anyhow::anyhow!(lines.join("\n"))
                })?;
                quota::set(conn, &quota, None)?;
                Ok(quota)
            })?;
            println!(
                "Kuota Pemda {} = {} tempat berlaku mulai {}.",
                quota.region_code, quota.places, quota.valid_from
            );
            Ok(())
        }
    }
}
