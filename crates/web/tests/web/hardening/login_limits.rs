//! Defect 1: the sign-in and progress-lookup limits hold against parallel
//! requests spread over two instances (the attempt is counted before it is
//! checked, in the database both share), and the client address comes from
//! `X-Forwarded-For` only through a trusted proxy.

use super::*;

/// Counts answers by status; panics on any other status or error code.
fn tally(
    backend: &str,
    what: &str,
    answers: &[Resp],
    allowed: &[(StatusCode, &str)],
) -> Vec<usize> {
    let mut counts = vec![0; allowed.len()];
    for r in answers {
        let code = error_code(r);
        match allowed
            .iter()
            .position(|(s, c)| *s == r.status && (c.is_empty() || *c == code))
        {
            Some(i) => counts[i] += 1,
            None => panic!(
                "{backend}: {what}: unexpected answer {} {code:?}: {}",
                r.status,
                r.text()
            ),
        }
    }
    counts
}

/// A distinct peer address per request number.
fn peer(base: u8, i: usize) -> [u8; 4] {
    [10, base, (i / 250) as u8, (i % 250) as u8 + 1]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_guesses_over_two_instances_are_checked_at_most_five_times() {
    for (b, _store, sa, sb) in two_instances("hard_login_burst", config("a"), config("b")).await {
        let (ra, rb) = (bare_router(&sa), bare_router(&sb));
        let pick = |i: usize| {
            if i.is_multiple_of(2) {
                ra.clone()
            } else {
                rb.clone()
            }
        };
        // 100 wrong passwords for one account at once, half on each
        // instance, each from its own address (so only the account's limit
        // is in play).
        let jobs: Vec<(Router, Request<Body>)> = (0..100)
            .map(|i| {
                (
                    pick(i),
                    from_peer(login_req("applicant", "wrong-password"), peer(1, i)),
                )
            })
            .collect();
        let answers = parallel(jobs).await;
        let c = tally(
            &b,
            "100 wrong passwords",
            &answers,
            &[
                (StatusCode::UNAUTHORIZED, "bad_credentials"),
                (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            ],
        );
        assert_eq!(
            c[0], 5,
            "{b}: exactly 5 of 100 parallel guesses were checked, over both instances (429s: {})",
            c[1]
        );
        assert_eq!(c[1], 95, "{b}: the rest are refused unchecked");
        // The right password, now, from a fresh address on either instance.
        for (n, r) in [&ra, &rb].into_iter().enumerate() {
            let resp = send_to(
                r.clone(),
                from_peer(login_req("applicant", PASSWORD), peer(2, n)),
            )
            .await;
            assert_error(
                &b,
                "the right password after the lockout",
                &resp,
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
            );
        }
        // A burst of the right password does not get through either.
        let jobs: Vec<(Router, Request<Body>)> = (0..60)
            .map(|i| {
                (
                    pick(i),
                    from_peer(login_req("applicant", PASSWORD), peer(3, i)),
                )
            })
            .collect();
        let answers = parallel(jobs).await;
        let c = tally(
            &b,
            "60 right passwords after the lockout",
            &answers,
            &[
                (StatusCode::OK, ""),
                (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            ],
        );
        assert_eq!(c[0], 0, "{b}: nobody signs in to a locked account");
        // Another account is not affected.
        let resp = send_to(
            ra.clone(),
            from_peer(login_req("clerk", PASSWORD), peer(4, 0)),
        )
        .await;
        assert_eq!(
            resp.status,
            StatusCode::OK,
            "{b}: another account: {}",
            resp.text()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_success_gives_its_attempt_back_and_failures_stop_at_five() {
    for (b, _store, sa, sb) in two_instances("hard_login_count", config("a"), config("b")).await {
        let (ra, rb) = (bare_router(&sa), bare_router(&sb));
        // Four failures, alternating instances.
        for i in 0..4 {
            let r = if i % 2 == 0 { &ra } else { &rb };
            let resp = send_to(
                r.clone(),
                from_peer(login_req("reviewer", "nope"), peer(5, i)),
            )
            .await;
            assert_error(
                &b,
                "failure",
                &resp,
                StatusCode::UNAUTHORIZED,
                "bad_credentials",
            );
        }
        // A success does not count against the account ...
        let resp = send_to(
            rb.clone(),
            from_peer(login_req("reviewer", PASSWORD), peer(5, 10)),
        )
        .await;
        assert_eq!(
            resp.status,
            StatusCode::OK,
            "{b}: the 5th attempt, right: {}",
            resp.text()
        );
        // ... so one more failure is checked, and then nothing is.
        let resp = send_to(
            ra.clone(),
            from_peer(login_req("reviewer", "nope"), peer(5, 11)),
        )
        .await;
        assert_error(
            &b,
            "5th failure",
            &resp,
            StatusCode::UNAUTHORIZED,
            "bad_credentials",
        );
        let resp = send_to(
            rb.clone(),
            from_peer(login_req("reviewer", PASSWORD), peer(5, 12)),
        )
        .await;
        assert_error(
            &b,
            "after 5 failures",
            &resp,
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
        );

        // A fresh account with four failures: of 60 parallel guesses exactly
        // one more is checked.
        for i in 0..4 {
            let resp = send_to(ra.clone(), from_peer(login_req("head", "nope"), peer(6, i))).await;
            assert_error(
                &b,
                "failure",
                &resp,
                StatusCode::UNAUTHORIZED,
                "bad_credentials",
            );
        }
        let jobs: Vec<(Router, Request<Body>)> = (0..60)
            .map(|i| {
                let r = if i % 2 == 0 { ra.clone() } else { rb.clone() };
                (r, from_peer(login_req("head", "still-wrong"), peer(7, i)))
            })
            .collect();
        let answers = parallel(jobs).await;
        let c = tally(
            &b,
            "60 guesses after 4 failures",
            &answers,
            &[
                (StatusCode::UNAUTHORIZED, "bad_credentials"),
                (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            ],
        );
        assert_eq!(c[0], 1, "{b}: 4 + {} checked; at most 5 per account", c[0]);
        // The user name's case does not open another allowance.
        let resp = send_to(
            rb.clone(),
            from_peer(login_req("HEAD", PASSWORD), peer(7, 100)),
        )
        .await;
        assert_error(
            &b,
            "same account, other case",
            &resp,
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_for_counts_only_through_a_trusted_proxy() {
    let behind_proxy = Config {
        trusted_proxies: vec!["127.0.0.1".parse().expect("a trusted proxy address")],
        ..config("proxied")
    };
    for (b, _store, proxied, direct) in
        two_instances("hard_login_proxy", behind_proxy, config("direct")).await
    {
        // Behind the load balancer (127.0.0.1): each citizen is the address it saw.
        let lb = router_at(&proxied, [127, 0, 0, 1]);
        let jobs: Vec<(Router, Request<Body>)> = (0..30)
            .map(|i| {
                let req = with_header(
                    login_req(&format!("nobody-{i}"), "wrong"),
                    "x-forwarded-for",
                    "198.51.100.7",
                );
                (lb.clone(), req)
            })
            .collect();
        let answers = parallel(jobs).await;
        let c = tally(
            &b,
            "30 failures from one citizen",
            &answers,
            &[(StatusCode::UNAUTHORIZED, "bad_credentials")],
        );
        assert_eq!(
            c[0], 30,
            "{b}: 30 failures from one address are all checked"
        );
        let resp = send_to(
            lb.clone(),
            with_header(
                login_req("nobody-30", "wrong"),
                "x-forwarded-for",
                "198.51.100.7",
            ),
        )
        .await;
        assert_error(
            &b,
            "the 31st failure from 198.51.100.7",
            &resp,
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
        );
        // Another citizen behind the same balancer is not locked out.
        let resp = send_to(
            lb.clone(),
            with_header(
                login_req("nobody-31", "wrong"),
                "x-forwarded-for",
                "198.51.100.8",
            ),
        )
        .await;
        assert_error(
            &b,
            "another citizen behind the proxy",
            &resp,
            StatusCode::UNAUTHORIZED,
            "bad_credentials",
        );
        let resp = send_to(
            lb.clone(),
            with_header(
                login_req("clerk", PASSWORD),
                "x-forwarded-for",
                "198.51.100.8",
            ),
        )
        .await;
        assert_eq!(
            resp.status,
            StatusCode::OK,
            "{b}: signs in: {}",
            resp.text()
        );
        // A forged first hop does not choose the address: the proxy appended the real one.
        let resp = send_to(
            lb.clone(),
            with_header(
                login_req("nobody-32", "wrong"),
                "x-forwarded-for",
                "203.0.113.99, 198.51.100.7",
            ),
        )
        .await;
        assert_error(
            &b,
            "forged first hop",
            &resp,
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
        );

        // Without trusted proxies the header is the client's own words, and ignored.
        let internet = router_at(&direct, [192, 0, 2, 50]);
        let jobs: Vec<(Router, Request<Body>)> = (0..30)
            .map(|i| {
                let req = with_header(
                    login_req(&format!("someone-{i}"), "wrong"),
                    "x-forwarded-for",
                    &format!("203.0.113.{}", i + 1),
                );
                (internet.clone(), req)
            })
            .collect();
        let answers = parallel(jobs).await;
        let c = tally(
            &b,
            "30 failures with made-up X-Forwarded-For",
            &answers,
            &[(StatusCode::UNAUTHORIZED, "bad_credentials")],
        );
        assert_eq!(c[0], 30, "{b}");
        let resp = send_to(
            internet.clone(),
            with_header(
                login_req("someone-30", "wrong"),
                "x-forwarded-for",
                "203.0.113.200",
            ),
        )
        .await;
        assert_error(
            &b,
            "a new X-Forwarded-For from an untrusted peer",
            &resp,
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_progress_lookups_are_checked_at_most_ten_times() {
    for (b, _store, sa, sb) in two_instances("hard_lookup_burst", config("a"), config("b")).await {
        let (ra, rb) = (
            router_at(&sa, [192, 0, 2, 77]),
            router_at(&sb, [192, 0, 2, 77]),
        );
        let jobs: Vec<(Router, Request<Body>)> = (0..100)
            .map(|i| {
                let r = if i % 2 == 0 { ra.clone() } else { rb.clone() };
                let req = api_req(
                    Method::POST,
                    "/api/v1/progress",
                    None,
                    Some(json!({"case_no": format!("339901-2025-{i:06}"), "code": "ZZZZ9999"})),
                );
                (r, req)
            })
            .collect();
        let answers = parallel(jobs).await;
        let c = tally(
            &b,
            "100 wrong lookups",
            &answers,
            &[
                (StatusCode::NOT_FOUND, "not_found"),
                (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            ],
        );
        assert_eq!(
            c[0], 10,
            "{b}: exactly 10 of 100 parallel lookups were checked"
        );
        assert_eq!(c[1], 90, "{b}");
        // Another address still may look up.
        let other = router_at(&sa, [192, 0, 2, 78]);
        let resp = send_to(
            other,
            api_req(
                Method::POST,
                "/api/v1/progress",
                None,
                Some(json!({"case_no": "339901-2025-000001", "code": "ZZZZ9999"})),
            ),
        )
        .await;
        assert_error(
            &b,
            "another address",
            &resp,
            StatusCode::NOT_FOUND,
            "not_found",
        );
    }
}
