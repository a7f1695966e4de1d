//! A trust's administrator (the trusts issue) in Chromium: adds a school to
//! the trust with its first administrator (who arrives from the welcome
//! link), shares a category with the trust's schools, and a member of
//! staff in a school of the trust finds it on the log form; another
//! trust's school does not. The trusts, the first school and the staff are
//! made from the binary's command line, as an IT technician would.

use crate::harness::{Driver, Server};
use crate::helpers::Backend;
use crate::journeys::account;
use crate::lead_day::{add_account_at, sign_in};

pub async fn a_trust_admin_adds_a_school_and_shares_a_category(backend: Backend) {
    let mut server = Server::start_with(backend, &[("SAFELOG_REQUIRE_2FA", "none")]).await;
    server.command(&["trust", "add", "--name", "Hill Trust"], "");
    server.command(&["trust", "add", "--name", "Far Trust"], "");
    for (name, urn, trust) in [
        ("Dale School", "100002", "Hill Trust"),
        ("Far School", "100004", "Far Trust"),
    ] {
        server.command(
            &[
                "school", "add", "--name", name, "--urn", urn, "--trust", trust,
            ],
            "",
        );
    }
    add_account_at(&server, "Dale School", "Tia Tutor", "TIT", &["staff"]);
    add_account_at(&server, "Far School", "Fay Tutor", "FAT", &["staff"]);
    let tara = account("Tara");
    server.command(
        &[
            "user",
            "add",
            "--email",
            &tara.email,
            "--name",
            "Tara Trustadmin",
            "--initials",
            "TTA",
            "--password-stdin",
            "--trust",
            "Hill Trust",
            "--role",
            "trust_admin",
        ],
        &format!("{}\n", tara.password),
    );
    let driver = Driver::start().await;
    let ta = driver.person("trust-admin", &server).await;
    let bob = driver.person("school-admin", &server).await;
    let tia = driver.person("tutor", &server).await;
    let fay = driver.person("far-tutor", &server).await;
    let s = &server;

    driver
        .journey("trust-admin", s, async {
            sign_in(&ta, "Tara").await;
            ta.follow("Trust administration").await;
            ta.sees("Trust administration: Hill Trust").await;
            ta.sees("Dale School").await;
            ta.does_not_see("Far School").await;

            // A mistyped URN comes back with what was typed.
            ta.fill("School name", "Brook School").await;
            ta.fill("URN", "10003").await;
            ta.fill("Administrator's email", &account("Bob").email)
                .await;
            ta.fill("Administrator's name", "Bob Admin").await;
            ta.fill("Administrator's initials", "BAD").await;
            ta.press("Add school").await;
            ta.sees("'10003' is not a URN").await;
            ta.screenshot("trust-admin-refused.png", 1280).await;
            ta.screenshot("trust-admin-refused-phone.png", 390).await;
            ta.fill("URN", "100003").await;
            ta.press("Add school").await;
            ta.sees("Added Brook School (URN 100003) to Hill Trust.")
                .await;
            let link = ta
                .find("code.secret")
                .await
                .text()
                .await
                .expect("the welcome link");
            ta.follow("Back to the trust's schools").await;
            ta.sees("Bob Admin").await;
            ta.screenshot("trust-admin.png", 1280).await;
            ta.screenshot("trust-admin-phone.png", 390).await;

            // A category for every school of the trust.
            ta.follow("Shared categories").await;
            ta.sees("The trust shares no category yet.").await;
            ta.fill("Name", "Sextortion scams").await;
            ta.select("4C", "Contact").await;
            ta.select("Owner", "Designated Safeguarding Lead").await;
            ta.fill(
                "Guidance shown to staff",
                "Do not pay and do not reply. Tell the DSL today.",
            )
            .await;
            ta.tick("Urgent").await;
            ta.press("Add and share").await;
            ta.sees("Saved.").await;
            ta.sees("Sextortion scams").await;
            ta.screenshot("trust-categories.png", 1280).await;
            ta.screenshot("trust-categories-phone.png", 390).await;

            ta.follow("People and trust roles").await;
            ta.sees("Tara Trustadmin").await;
            ta.screenshot("trust-people.png", 1280).await;
            ta.screenshot("trust-people-phone.png", 390).await;

            // The new school's administrator arrives from the welcome link
            // and finds the shared category among the school's own.
            bob.open(&link).await;
            bob.sees("Choose").await;
            let b = account("Bob");
            bob.fill("New password", &b.password).await;
            bob.fill("New password again", &b.password).await;
            bob.press("Set password").await;
            bob.sees("Sign out").await;
            bob.follow("Administration").await;
            bob.sees("Administration: Brook School").await;
            bob.open("/admin/categories").await;
            bob.sees("Sextortion scams").await;
            bob.sees("Shared by the trust").await;
            bob.follow("Sextortion scams").await;
            bob.sees("Hill Trust shares this category").await;
            bob.screenshot("shared-category-at-school.png", 1280).await;
            bob.screenshot("shared-category-at-school-phone.png", 390)
                .await;

            // Offered on the log form in a school of the trust.
            sign_in(&tia, "Tia").await;
            tia.follow("Log an incident").await;
            tia.select("Category", "Sextortion scams (urgent)").await;
            tia.sees("Do not pay and do not reply. Tell the DSL today.")
                .await;
            tia.screenshot("log-form-shared-category.png", 1280).await;
            tia.screenshot("log-form-shared-category-phone.png", 390)
                .await;

            // Not in another trust's school.
            sign_in(&fay, "Fay").await;
            fay.follow("Log an incident").await;
            fay.does_not_see("Sextortion scams").await;
        })
        .await;
    drop(driver);
    let _ = server.interrupt();
}
