//! The household form: RT/RW, address, optional Nomor KK and landmark, in a kelurahan the user
//! works in.

use serde::Deserialize;

use crate::members::identity::NomorKk;
use crate::regions::Region;
use crate::web::forms::FieldErrors;

#[derive(Deserialize, Default, Debug, Clone)]
#[serde(default)]
pub struct HouseholdForm {
    pub region_code: String,
    pub rt: String,
    pub rw: String,
    pub address: String,
    pub nomor_kk: String,
    pub landmark: String,
    pub submission_key: String,
    /// "on" once the user has seen the possible-duplicate warnings and saves anyway.
    pub confirm_warnings: String,
}

#[derive(Debug, Clone)]
pub struct HouseholdInput {
    pub region_code: String,
    pub rt: String,
    pub rw: String,
    pub address: String,
    pub nomor_kk: Option<String>,
    pub landmark: String,
}

/// RT and RW as printed on a KTP: three digits (`3` → `003`), never `000`.
pub fn normalize_rt_rw(raw: &str) -> Result<String, &'static str> {
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > 3 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err("Isi 1–3 angka, mis. 003.");
    }
    let n: u32 = raw.parse().map_err(|_| "Isi 1–3 angka, mis. 003.")?;
    if n == 0 {
        return Err("Tidak boleh 000.");
    }
    Ok(format!("{n:03}"))
}

/// Free text kept on one line, trimmed, with a length limit.
pub fn clean_text(raw: &str, max_chars: usize) -> Result<String, String> {
    let text = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() > max_chars {
        return Err(format!("Maksimal {max_chars} karakter."));
    }
    if text.chars().any(char::is_control) {
        return Err("Berisi karakter tidak valid.".into());
    }
    Ok(text)
}

impl HouseholdForm {
    /// `regions` are the desa/kelurahan the user may register households in.
    pub fn validate(&self, regions: &[Region]) -> Result<HouseholdInput, FieldErrors> {
        let mut errors = FieldErrors::default();
        let region_code = self.region_code.trim().to_string();
        if !regions.iter().any(|r| r.code == region_code) {
            errors.add("region_code", "Pilih kelurahan/desa tempat Anda bertugas.");
        }
        let rt = normalize_rt_rw(&self.rt).map_err(|e| errors.add("rt", e));
        let rw = normalize_rt_rw(&self.rw).map_err(|e| errors.add("rw", e));
        let address = match clean_text(&self.address, 200) {
            Ok(a) if a.is_empty() => {
                errors.add("address", "Alamat wajib diisi.");
                None
            }
            Ok(a) => Some(a),
            Err(e) => {
                errors.add("address", e);
                None
            }
        };
        let nomor_kk = if self.nomor_kk.trim().is_empty() {
            Ok(None)
        } else {
            NomorKk::parse(&self.nomor_kk)
                .map(|kk| Some(kk.as_str().to_string()))
                .map_err(|e| errors.add("nomor_kk", e))
        };
        let landmark = clean_text(&self.landmark, 200).map_err(|e| errors.add("landmark", e));
        match (rt, rw, address, nomor_kk, landmark) {
            (Ok(rt), Ok(rw), Some(address), Ok(nomor_kk), Ok(landmark)) if errors.is_empty() => {
                Ok(HouseholdInput {
                    region_code,
                    rt,
                    rw,
                    address,
                    nomor_kk,
                    landmark,
                })
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dago() -> Vec<Region> {
        vec![Region {
            code: "32.73.02.1004".into(),
            name: "Dago".into(),
            level: "desa_kelurahan".into(),
            parent_code: Some("32.73.02".into()),
        }]
    }

    #[test]
    fn rt_rw_are_three_digits() {
        assert_eq!(normalize_rt_rw("3").unwrap(), "003");
        assert_eq!(normalize_rt_rw(" 012 ").unwrap(), "012");
        for bad in ["", "0", "000", "1234", "a1", "-1"] {
            assert!(normalize_rt_rw(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_valid_household() {
        let form = HouseholdForm {
            region_code: "32.73.02.1004".into(),
            rt: "3".into(),
            rw: "5".into(),
            address: "  Jl. Dago   No. 12 ".into(),
            nomor_kk: "3273 0212 3456 0001".into(),
            landmark: "dekat masjid".into(),
            submission_key: String::new(),
            confirm_warnings: String::new(),
        };
        let input = form.validate(&dago()).unwrap();
        assert_eq!(input.rt, "003");
        assert_eq!(input.address, "Jl. Dago No. 12");
        assert_eq!(input.nomor_kk.as_deref(), Some("3273021234560001"));
    }

    #[test]
    fn every_bad_field_is_named() {
        let form = HouseholdForm {
            region_code: "32.73.02.1005".into(),
            rt: "x".into(),
            rw: "".into(),
            address: "".into(),
            nomor_kk: "123".into(),
            landmark: "a".repeat(201),
            submission_key: String::new(),
            confirm_warnings: String::new(),
        };
        let errors = form.validate(&dago()).unwrap_err();
        for field in ["region_code", "rt", "rw", "address", "nomor_kk", "landmark"] {
            assert!(errors.has(field), "{field}");
        }
    }
}
