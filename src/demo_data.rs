//! Synthetic field data for `pesiar demo`: households and members in three real Coblong
//! kelurahan (Kota Bandung), with a realistic mix of segments and statuses, and some visits.
//! Everything is made up (names, addresses, NIKs that are well-formed but fake) and generated
//! from a fixed seed, so every demo starts the same.

use chrono::{Datelike, Duration, NaiveDate};

use crate::auth::CurrentUser;
use crate::db::{DbConnection, write_transaction};
use crate::error::AppError;
use crate::households::forms::HouseholdInput;
use crate::members::forms::MemberInput;
use crate::members::identity::{Nik, Sex};
use crate::members::{Class, InactiveReason, MemberStatus, Relationship, Segment};
use crate::reactivations::queries::Decision;
use crate::visits::forms::{MemberEntry, VisitInput};
use crate::visits::{Action, Outcome};

const HOUSEHOLDS_PER_KELURAHAN: usize = 30;

/// A small deterministic generator (xorshift64) for synthetic data: the same seed gives the same
/// data. Not for anything secret. Shared with the benchmark generators in `examples/`.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const MEN: &[&str] = &[
    "Asep", "Ujang", "Dedi", "Yayan", "Cecep", "Agus", "Budi", "Iwan", "Rudi", "Hendra", "Wawan",
    "Dadang", "Encep", "Jajang", "Ade", "Rizki", "Fajar", "Galih",
];
const WOMEN: &[&str] = &[
    "Euis", "Neneng", "Siti", "Dewi", "Rina", "Nining", "Yati", "Entin", "Imas", "Lilis", "Tati",
    "Nur", "Rika", "Sri", "Wulan", "Ayu", "Fitri", "Intan",
];
const FAMILY: &[&str] = &[
    "Suryana",
    "Hidayat",
    "Rahayu",
    "Permana",
    "Kurniawan",
    "Setiawan",
    "Nurhayati",
    "Sumarni",
    "Saputra",
    "Gunawan",
    "Hermawan",
    "Sulaeman",
    "Kusnadi",
    "Wijaya",
    "Ruhiyat",
];
const STREETS: &[&str] = &[
    "Jl. Dago",
    "Jl. Sekeloa",
    "Gg. Sadang",
    "Jl. Tubagus Ismail",
    "Gg. Bukit Dago",
    "Jl. Cisitu",
    "Gg. Rereng Wulung",
    "Jl. Plesiran",
    "Gg. Kubang Selatan",
    "Jl. Sangkuriang",
];

/// Segment mix, roughly as branch statements describe a city: state-paid and employees
/// dominate, mandiri members are fewer but most often in arrears.
fn draw_segment(rng: &mut Rng) -> Segment {
    match rng.below(100) {
        0..=34 => Segment::PbiJk,
        35..=44 => Segment::PbiApbd,
        45..=49 => Segment::PpuPn,
        50..=69 => Segment::PpuBu,
        70..=91 => Segment::Pbpu,
        92..=94 => Segment::Bp,
        _ => Segment::NotRegistered,
    }
}

fn draw_status(rng: &mut Rng, segment: Segment) -> (MemberStatus, Option<InactiveReason>) {
    let inactive_percent = match segment {
        Segment::NotRegistered => return (MemberStatus::NotRegistered, None),
        Segment::Pbpu | Segment::Bp => 45,
        Segment::PpuBu => 20,
        Segment::PbiJk => 12,
        Segment::PbiApbd => 10,
        Segment::PpuPn => 2,
    };
    if !rng.chance(inactive_percent) {
        return (MemberStatus::Active, None);
    }
    let reason = match segment {
        Segment::Pbpu | Segment::Bp => InactiveReason::Arrears,
        Segment::PbiJk => InactiveReason::PbiRemoved,
        Segment::PbiApbd => InactiveReason::PemdaQuota,
        Segment::PpuBu if rng.chance(50) => InactiveReason::Layoff,
        Segment::PpuBu => InactiveReason::EmployerStopped,
        _ => InactiveReason::Other,
    };
    (MemberStatus::Inactive, Some(reason))
}

struct Person {
    name: String,
    sex: Sex,
    birth_date: NaiveDate,
    relationship: Relationship,
}

fn household_people(rng: &mut Rng, today: NaiveDate) -> Vec<Person> {
    let family = rng.pick(FAMILY).to_string();
    let year = |rng: &mut Rng, from: i32, to: i32| from + rng.below((to - from) as u64) as i32;
    let date = |rng: &mut Rng, y: i32| {
        NaiveDate::from_ymd_opt(y, 1 + rng.below(12) as u32, 1 + rng.below(28) as u32)
            .unwrap_or(today)
    };
    let mut people = Vec::new();
    let head_year = year(rng, 1950, 1995);
    let head_birth = date(rng, head_year);
    people.push(Person {
        name: format!("{} {family}", rng.pick(MEN)),
        sex: Sex::Male,
        birth_date: head_birth,
        relationship: Relationship::Head,
    });
    if rng.chance(80) {
        let wife_year = head_year + rng.below(6) as i32;
        let wife_birth = date(rng, wife_year);
        people.push(Person {
            name: format!("{} {}", rng.pick(WOMEN), rng.pick(FAMILY)),
            sex: Sex::Female,
            birth_date: wife_birth,
            relationship: Relationship::Wife,
        });
    }
    let children = rng.below(4);
    for _ in 0..children {
        let female = rng.chance(50);
        let child_year = (head_year + 22 + rng.below(18) as i32).min(today.year() - 1);
        people.push(Person {
            name: format!(
                "{} {family}",
                if female {
                    rng.pick(WOMEN)
                } else {
                    rng.pick(MEN)
                }
            ),
            sex: if female { Sex::Female } else { Sex::Male },
            birth_date: date(rng, child_year),
            relationship: Relationship::Child,
        });
    }
    people
}

fn fake_nik(person: &Person, serial: u32) -> Option<Nik> {
    let d = person.birth_date;
    let day = d.day() + if person.sex == Sex::Female { 40 } else { 0 };
    Nik::parse(&format!(
        "327302{day:02}{:02}{:02}{:04}",
        d.month(),
        d.year() % 100,
        serial % 9999 + 1
    ))
    .ok()
}

/// Made-up figures for every kelurahan of Kota Bandung on three month-ends, adding up to the
/// city as reported in mid-2025 (coverage about 99%, keaktifan just under 80% and rising), so
/// the progress pages have a city, its kecamatan, a trend and gaps to show.
pub fn figures_rows(kelurahan: &[String]) -> Vec<crate::figures::FigureRow> {
    let mut rng = Rng(0x0F16_0BE5_2025_0630);
    let dates = [
        (2025, 4, 30, 7_930),
        (2025, 5, 31, 7_962),
        (2025, 6, 30, 7_996),
    ];
    let mut rows = Vec::new();
    let mut line = 1;
    for code in kelurahan {
        let population = 9_000 + rng.below(16_000) as i64;
        let registered = population * (9_880 + rng.below(90) as i64) / 10_000;
        // Each kelurahan's rate spreads around the city's, some above the bar, some below.
        let offset = rng.below(900) as i64 - 450;
        for (y, m, d, city_bp) in dates {
            line += 1;
            let bp = (city_bp + offset).clamp(6_500, 9_600);
            rows.push(crate::figures::FigureRow {
                line,
                region_code: code.clone(),
                date: NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default(),
                population,
                registered,
                active: registered * bp / 10_000,
                segments: Vec::new(),
            });
        }
    }
    rows
}

/// Seeds households, members and visits; returns (households, members, visits).
pub fn seed(
    conn: &mut DbConnection,
    agent: &CurrentUser,
    kader: &CurrentUser,
    supervisor: &CurrentUser,
    today: NaiveDate,
) -> Result<(usize, usize, usize), AppError> {
    let mut rng = Rng(0x0D06_0C0B_1A7E_2026);
    let mut counts = (0, 0, 0);
    let mut serial = 0u32;
    let mut claims_to_confirm = Vec::new();
    write_transaction(conn, |conn| -> Result<(), AppError> {
        for (worker, region) in [
            (agent, "32.73.02.1004"),
            (agent, "32.73.02.1005"),
            (kader, "32.73.02.1003"),
        ] {
            for n in 0..HOUSEHOLDS_PER_KELURAHAN {
                let input = HouseholdInput {
                    region_code: region.to_string(),
                    rt: format!("{:03}", 1 + rng.below(9)),
                    rw: format!("{:03}", 1 + rng.below(12)),
                    address: format!("{} No. {}", rng.pick(STREETS), 1 + rng.below(180)),
                    nomor_kk: rng
                        .chance(70)
                        .then(|| format!("327302{:010}", 1_000_000 + rng.below(8_999_999_999))),
                    landmark: String::new(),
                };
                let household_id = crate::households::queries::create(conn, &input, worker)?;
                counts.0 += 1;
                let mut member_ids = Vec::new();
                for person in household_people(&mut rng, today) {
                    serial += 1;
                    let segment = draw_segment(&mut rng);
                    let (status, inactive_reason) = draw_status(&mut rng, segment);
                    let member = MemberInput {
                        nik: if rng.chance(95) {
                            fake_nik(&person, serial)
                        } else {
                            None
                        },
                        jkn_number: (segment != Segment::NotRegistered)
                            .then(|| format!("{:013}", 1_000_000_000 + u64::from(serial) * 7919)),
                        class: segment
                            .has_class()
                            .then(|| *rng.pick(&[Class::I, Class::II, Class::III, Class::III])),
                        name: person.name,
                        sex: person.sex,
                        birth_date: person.birth_date,
                        relationship: person.relationship,
                        segment,
                        status,
                        inactive_reason,
                    };
                    let id = crate::members::queries::create(conn, household_id, &member, worker)?;
                    member_ids.push((id, member));
                    counts.1 += 1;
                }
                // A third of the households were visited in the last two weeks.
                if n % 3 == 0 {
                    let visited_on = today - Duration::days(rng.below(14) as i64);
                    let entries: Vec<MemberEntry> = member_ids
                        .iter()
                        .filter(|(_, m)| m.status != MemberStatus::Active)
                        .map(|(id, m)| {
                            let (action, segment) = match (m.status, m.inactive_reason) {
                                (MemberStatus::NotRegistered, _) => {
                                    (Action::NewRegistration, Some(Segment::PbiApbd))
                                }
                                (_, Some(InactiveReason::Arrears)) => (Action::ArrearsPaid, None),
                                (_, Some(InactiveReason::PbiRemoved)) => {
                                    (Action::ReferredDinsos, Some(Segment::PbiJk))
                                }
                                _ => (Action::Education, None),
                            };
                            MemberEntry {
                                member_id: *id,
                                observed: m.status,
                                action,
                                segment,
                                class: None,
                                rehab_reference: None,
                                revisit_on: None,
                                arrears_months: None,
                            }
                        })
                        .collect();
                    let household =
                        crate::households::queries::find_visible(conn, worker, household_id)?
                            .ok_or(AppError::NotFound)?;
                    let visit = VisitInput {
                        visited_on,
                        outcome: Outcome::Met,
                        note: String::new(),
                        location: None,
                        entries,
                    };
                    let visit_id =
                        crate::visits::queries::record(conn, worker, &household, &visit)?;
                    counts.2 += 1;
                    if n % 6 == 0 {
                        claims_to_confirm.push(visit_id);
                    }
                }
            }
        }
        // The supervisor has already confirmed the claims of some visits.
        use crate::db::schema::reactivations;
        use diesel::prelude::*;
        let ids: Vec<i32> = reactivations::table
            .filter(reactivations::visit_id.eq_any(&claims_to_confirm))
            .select(reactivations::id)
            .load(conn)?;
        crate::reactivations::queries::decide(conn, supervisor, &ids, Decision::Confirm, None)?;
        Ok(())
    })?;
    Ok(counts)
}
