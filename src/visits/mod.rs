//! Household visits (kunjungan): what happened at the door, and for each member met, the status
//! seen and the action taken. Actions that would make someone active become claims
//! (`reactivations`) awaiting verification.

pub mod correction_routes;
pub mod corrections;
pub mod forms;
pub mod queries;
pub mod routes;

use crate::reactivations::ClaimKind;
use crate::text_enum;

text_enum! {
    /// What happened at the household.
    pub enum Outcome {
        Met => ("ditemui", "Ditemui"),
        NotMet => ("tidak_ditemui", "Tidak ditemui / rumah kosong"),
        Refused => ("menolak", "Menolak"),
        Moved => ("pindah", "Pindah"),
        AddressNotFound => ("alamat_tidak_ditemukan", "Alamat tidak ditemukan"),
    }
}

text_enum! {
    /// What the agent did for one member.
    pub enum Action {
        Education => ("edukasi", "Edukasi saja"),
        NewRegistration => ("pendaftaran_baru", "Pendaftaran baru"),
        ArrearsPaid => ("tunggakan_lunas", "Tunggakan dibayar lunas"),
        Rehab => ("ikut_rehab", "Ikut program REHAB (cicilan tunggakan)"),
        Autodebit => ("autodebet", "Autodebet diaktifkan"),
        ProposedPbi => ("usul_pbi_pemda", "Diusulkan PBI / dibiayai Pemda"),
        ReferredDinsos => ("rujuk_dinsos", "Dirujuk ke Dinsos untuk reaktivasi PBI"),
        SegmentChange => ("alih_segmen", "Alih segmen"),
        DataCorrection => ("koreksi_data", "Perlu koreksi data/NIK"),
        Deceased => ("meninggal", "Meninggal dunia"),
        Revisit => ("kunjungan_ulang", "Perlu kunjungan ulang"),
    }
}

impl Action {
    /// The claim this action reports, if it would make the member active.
    pub fn claim(self) -> Option<ClaimKind> {
        match self {
            Action::NewRegistration => Some(ClaimKind::Registration),
            Action::ArrearsPaid
            | Action::Rehab
            | Action::ProposedPbi
            | Action::ReferredDinsos
            | Action::SegmentChange => Some(ClaimKind::Reactivation),
            _ => None,
        }
    }

    /// Whether the action names the segment the member moves to.
    pub fn needs_segment(self) -> bool {
        matches!(
            self,
            Action::NewRegistration | Action::SegmentChange | Action::ProposedPbi
        )
    }
}
