//! Schema migrations, written once with sea-query builders for both backends.
//! Integer columns are all 64-bit so reads are uniform (`i64`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

mod m001_foundation;
mod m002_calendar;
mod m003_trail;
mod m004_cases;
mod m005_bundles;
mod m006_certificates;
mod m007_shared_data;
mod m008_policies;
mod m009_certificate_type;
mod m010_key_compromise;
mod m011_promise_cap;
mod m012_limits;
mod m013_passed_on;
mod m014_phrasings;
mod m015_form_corrections;
mod m016_case_holds;
mod m017_ratings;
mod m018_indicators;
mod m019_kpi_months;
mod m020_enterprise;
mod m021_stage_applications;
mod m022_hall;

use m001_foundation::M001Foundation;
use m002_calendar::M002Calendar;
use m003_trail::M003Trail;
use m004_cases::M004Cases;
use m005_bundles::M005Bundles;
use m006_certificates::M006Certificates;
use m007_shared_data::M007SharedData;
use m008_policies::M008Policies;
use m009_certificate_type::M009CertificateType;
use m010_key_compromise::M010KeyCompromise;
use m011_promise_cap::M011PromiseCap;
use m012_limits::M012Limits;
use m013_passed_on::M013PassedOn;
use m014_phrasings::M014Phrasings;
use m015_form_corrections::M015FormCorrections;
use m016_case_holds::M016CaseHolds;
use m017_ratings::M017Ratings;
use m018_indicators::M018Indicators;
use m019_kpi_months::M019KpiMonths;
use m020_enterprise::M020Enterprise;
use m021_stage_applications::M021StageApplications;
use m022_hall::M022Hall;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(M001Foundation),
            Box::new(M002Calendar),
            Box::new(M003Trail),
            Box::new(M004Cases),
            Box::new(M005Bundles),
            Box::new(M006Certificates),
            Box::new(M007SharedData),
            Box::new(M008Policies),
            Box::new(M009CertificateType),
            Box::new(M010KeyCompromise),
            Box::new(M011PromiseCap),
            Box::new(M012Limits),
            Box::new(M013PassedOn),
            Box::new(M014Phrasings),
            Box::new(M015FormCorrections),
            Box::new(M016CaseHolds),
            Box::new(M017Ratings),
            Box::new(M018Indicators),
            Box::new(M019KpiMonths),
            Box::new(M020Enterprise),
            Box::new(M021StageApplications),
            Box::new(M022Hall),
        ]
    }
    fn migration_table_name() -> DynIden {
        "tongban_migrations".into_iden()
    }
}

/// Column and index helpers of the migrations.
pub(super) fn bigint(name: &'static str) -> ColumnDef {
    big_integer(name)
}
pub(super) fn bigint_null(name: &'static str) -> ColumnDef {
    big_integer_null(name)
}

pub(super) fn index(
    table: &'static str,
    name: &'static str,
    cols: &[&'static str],
    unique: bool,
) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(table);
    for c in cols {
        i.col(*c);
    }
    if unique {
        i.unique();
    }
    i.to_owned()
}
