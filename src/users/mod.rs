//! Users, their roles and their areas. A user's areas are region codes; scope is the code prefix.

pub mod forms;
pub mod locks;
pub mod queries;
pub mod routes;

use crate::regions::Level;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Role {
    Admin,
    Supervisor,
    Agent,
    Kader,
    Office,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Supervisor,
        Role::Agent,
        Role::Kader,
        Role::Office,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Supervisor => "supervisor",
            Role::Agent => "agent",
            Role::Kader => "kader",
            Role::Office => "office",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Admin",
            Role::Supervisor => "Supervisor",
            Role::Agent => "Agen PESIAR",
            Role::Kader => "Kader JKN",
            Role::Office => "Kantor camat/lurah",
        }
    }

    /// The region levels this role's areas may have. Admins see the whole country and have none.
    pub fn area_levels(self) -> &'static [Level] {
        match self {
            Role::Admin => &[],
            Role::Supervisor => &[Level::KabupatenKota, Level::Kecamatan],
            Role::Agent | Role::Kader => &[Level::DesaKelurahan],
            Role::Office => &[Level::Kecamatan, Level::DesaKelurahan],
        }
    }

    pub fn area_hint(self) -> &'static str {
        match self {
            Role::Admin => "Admin tidak memerlukan wilayah.",
            Role::Supervisor => "Satu atau lebih kabupaten/kota atau kecamatan.",
            Role::Agent | Role::Kader => "Satu atau lebih desa/kelurahan tempat bertugas.",
            Role::Office => "Kecamatan (kantor camat) atau desa/kelurahan (kantor lurah).",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_text() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn field_roles_work_in_villages_only() {
        assert_eq!(Role::Agent.area_levels(), &[Level::DesaKelurahan]);
        assert_eq!(Role::Kader.area_levels(), &[Level::DesaKelurahan]);
        assert!(Role::Admin.area_levels().is_empty());
    }
}
