//! Household members and their JKN membership: segment, class, status and why they are
//! inactive. Identity numbers live in `identity`.

pub mod correction_routes;
pub mod corrections;
pub mod forms;
pub mod history;
pub mod identity;
pub mod queries;
pub mod routes;

use crate::text_enum;

text_enum! {
    /// Who pays the contribution (segmen kepesertaan), or not registered at all.
    pub enum Segment {
        PbiJk => ("pbi_jk", "PBI JK (APBN)"),
        PbiApbd => ("pbi_apbd", "PBI APBD / didaftarkan Pemda"),
        PpuPn => ("ppu_pn", "PPU Penyelenggara Negara"),
        PpuBu => ("ppu_bu", "PPU Badan Usaha"),
        Pbpu => ("pbpu", "PBPU (mandiri)"),
        Bp => ("bp", "BP (bukan pekerja)"),
        NotRegistered => ("belum_terdaftar", "Belum terdaftar"),
    }
}

impl Segment {
    /// Mandiri members choose a class; the state- and employer-paid segments do not.
    pub fn has_class(self) -> bool {
        matches!(self, Segment::Pbpu | Segment::Bp)
    }
}

text_enum! {
    pub enum Class {
        I => ("1", "Kelas I"),
        II => ("2", "Kelas II"),
        III => ("3", "Kelas III"),
    }
}

text_enum! {
    /// Status kepesertaan.
    pub enum MemberStatus {
        Active => ("aktif", "Aktif"),
        Inactive => ("nonaktif", "Nonaktif"),
        NotRegistered => ("belum_terdaftar", "Belum terdaftar"),
        Deceased => ("meninggal", "Meninggal"),
        Moved => ("pindah", "Pindah"),
    }
}

impl MemberStatus {
    /// Members the field still has to bring in: inactive or never registered.
    pub fn is_open(self) -> bool {
        matches!(self, MemberStatus::Inactive | MemberStatus::NotRegistered)
    }
}

text_enum! {
    /// Why a member is inactive.
    pub enum InactiveReason {
        Arrears => ("tunggakan", "Menunggak iuran"),
        PbiRemoved => ("pbi_dinonaktifkan", "PBI dinonaktifkan"),
        EmployerStopped => ("pemberi_kerja_berhenti", "Pemberi kerja berhenti membayar"),
        Layoff => ("phk", "PHK"),
        PemdaQuota => ("kuota_pemda", "Kuota Pemda"),
        Other => ("lainnya", "Lainnya"),
    }
}

text_enum! {
    /// Hubungan dengan kepala keluarga.
    pub enum Relationship {
        Head => ("kepala_keluarga", "Kepala Keluarga"),
        Husband => ("suami", "Suami"),
        Wife => ("istri", "Istri"),
        Child => ("anak", "Anak"),
        ChildInLaw => ("menantu", "Menantu"),
        Grandchild => ("cucu", "Cucu"),
        Parent => ("orang_tua", "Orang Tua"),
        ParentInLaw => ("mertua", "Mertua"),
        OtherFamily => ("famili_lain", "Famili Lain"),
        Other => ("lainnya", "Lainnya"),
    }
}

/// Whether a member with this segment/status/reason goes first on the worklist: mandiri members
/// in arrears (the largest group) and PBI members removed from the welfare register.
pub fn is_priority(segment: Segment, status: MemberStatus, reason: Option<InactiveReason>) -> bool {
    status == MemberStatus::Inactive
        && match reason {
            Some(InactiveReason::PbiRemoved) => true,
            Some(InactiveReason::Arrears) => matches!(segment, Segment::Pbpu | Segment::Bp),
            _ => false,
        }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_enum_round_trips() {
        for s in Segment::ALL {
            assert_eq!(Segment::parse(s.as_str()), Some(*s));
        }
        for s in MemberStatus::ALL {
            assert_eq!(MemberStatus::parse(s.as_str()), Some(*s));
        }
        for r in Relationship::ALL {
            assert_eq!(Relationship::parse(r.as_str()), Some(*r));
        }
        assert_eq!(Segment::parse("PBPU"), None);
    }

    #[test]
    fn mandiri_arrears_and_removed_pbi_come_first() {
        let p = |segment: &str, status: &str, reason: Option<&str>| {
            is_priority(
                Segment::parse(segment).unwrap(),
                MemberStatus::parse(status).unwrap(),
                reason.and_then(InactiveReason::parse),
            )
        };
        assert!(p("pbpu", "nonaktif", Some("tunggakan")));
        assert!(p("pbi_jk", "nonaktif", Some("pbi_dinonaktifkan")));
        assert!(!p("ppu_bu", "nonaktif", Some("phk")));
        assert!(!p("pbpu", "aktif", None));
    }
}
