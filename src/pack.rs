//! The built-in rule pack: every file of `rules/` embedded in the binary.
//!
//! Invariant: [`PACK`] lists exactly the `*.toml` files of `rules/` (a test in
//! `tests/rules.rs` compares it with the directory listing); [`PACK_JSON`] holds the same
//! files as JSON, written by `build.rs` (a test compares the rules read from both), and
//! [`PACK_LEAN_JSON`] the same without examples (a test compares it with [`PACK_JSON`]).
//! Depends on nothing.

/// `(file name without extension, TOML text)` for each file of `rules/`, sorted by name.
pub const PACK: &[(&str, &str)] = &[
    ("age", include_str!("../rules/age.toml")),
    ("ai-models", include_str!("../rules/ai-models.toml")),
    ("ai-providers", include_str!("../rules/ai-providers.toml")),
    ("algolia", include_str!("../rules/algolia.toml")),
    ("anthropic", include_str!("../rules/anthropic.toml")),
    ("asana", include_str!("../rules/asana.toml")),
    ("atlassian", include_str!("../rules/atlassian.toml")),
    ("aws", include_str!("../rules/aws.toml")),
    ("azure", include_str!("../rules/azure.toml")),
    ("ci", include_str!("../rules/ci.toml")),
    ("cli-passwords", include_str!("../rules/cli-passwords.toml")),
    ("clojars", include_str!("../rules/clojars.toml")),
    ("cloud-extra", include_str!("../rules/cloud-extra.toml")),
    ("cloud-hosting", include_str!("../rules/cloud-hosting.toml")),
    ("cloudflare", include_str!("../rules/cloudflare.toml")),
    ("connection-strings", include_str!("../rules/connection-strings.toml")),
    ("cratesio", include_str!("../rules/cratesio.toml")),
    ("credential-files", include_str!("../rules/credential-files.toml")),
    ("databases-extra", include_str!("../rules/databases-extra.toml")),
    ("databricks", include_str!("../rules/databricks.toml")),
    ("datadog", include_str!("../rules/datadog.toml")),
    ("dev-platforms", include_str!("../rules/dev-platforms.toml")),
    ("devtools", include_str!("../rules/devtools.toml")),
    ("devtools2", include_str!("../rules/devtools2.toml")),
    ("digitalocean", include_str!("../rules/digitalocean.toml")),
    ("discord", include_str!("../rules/discord.toml")),
    ("django", include_str!("../rules/django.toml")),
    ("docker", include_str!("../rules/docker.toml")),
    ("doppler", include_str!("../rules/doppler.toml")),
    ("dropbox", include_str!("../rules/dropbox.toml")),
    ("email-providers", include_str!("../rules/email-providers.toml")),
    ("facebook", include_str!("../rules/facebook.toml")),
    ("figma", include_str!("../rules/figma.toml")),
    ("firebase", include_str!("../rules/firebase.toml")),
    ("fly", include_str!("../rules/fly.toml")),
    ("frontend-env", include_str!("../rules/frontend-env.toml")),
    ("generic", include_str!("../rules/generic.toml")),
    ("github", include_str!("../rules/github.toml")),
    ("gitlab", include_str!("../rules/gitlab.toml")),
    ("google", include_str!("../rules/google.toml")),
    ("gradle", include_str!("../rules/gradle.toml")),
    ("grafana", include_str!("../rules/grafana.toml")),
    ("hashicorp", include_str!("../rules/hashicorp.toml")),
    ("heroku", include_str!("../rules/heroku.toml")),
    ("http", include_str!("../rules/http.toml")),
    ("huggingface", include_str!("../rules/huggingface.toml")),
    ("identity-social", include_str!("../rules/identity-social.toml")),
    ("iot", include_str!("../rules/iot.toml")),
    ("jfrog", include_str!("../rules/jfrog.toml")),
    ("jwk", include_str!("../rules/jwk.toml")),
    ("jwt", include_str!("../rules/jwt.toml")),
    ("kerberos", include_str!("../rules/kerberos.toml")),
    ("kubernetes", include_str!("../rules/kubernetes.toml")),
    ("linear", include_str!("../rules/linear.toml")),
    ("mailchimp", include_str!("../rules/mailchimp.toml")),
    ("mailgun", include_str!("../rules/mailgun.toml")),
    ("mapbox", include_str!("../rules/mapbox.toml")),
    ("messaging-extra", include_str!("../rules/messaging-extra.toml")),
    ("monitoring", include_str!("../rules/monitoring.toml")),
    ("msteams", include_str!("../rules/msteams.toml")),
    ("netlify", include_str!("../rules/netlify.toml")),
    ("newrelic", include_str!("../rules/newrelic.toml")),
    ("notion", include_str!("../rules/notion.toml")),
    ("npm", include_str!("../rules/npm.toml")),
    ("nuget", include_str!("../rules/nuget.toml")),
    ("observability-extra", include_str!("../rules/observability-extra.toml")),
    ("okta", include_str!("../rules/okta.toml")),
    ("openai", include_str!("../rules/openai.toml")),
    ("password-hashes", include_str!("../rules/password-hashes.toml")),
    ("payments", include_str!("../rules/payments.toml")),
    ("payments-extra", include_str!("../rules/payments-extra.toml")),
    ("paypal", include_str!("../rules/paypal.toml")),
    ("planetscale", include_str!("../rules/planetscale.toml")),
    ("postman", include_str!("../rules/postman.toml")),
    ("postmark", include_str!("../rules/postmark.toml")),
    ("private-keys", include_str!("../rules/private-keys.toml")),
    ("psexec", include_str!("../rules/psexec.toml")),
    ("pulumi", include_str!("../rules/pulumi.toml")),
    ("pypi", include_str!("../rules/pypi.toml")),
    ("rails", include_str!("../rules/rails.toml")),
    ("registries", include_str!("../rules/registries.toml")),
    ("rubygems", include_str!("../rules/rubygems.toml")),
    ("salesforce", include_str!("../rules/salesforce.toml")),
    ("sendgrid", include_str!("../rules/sendgrid.toml")),
    ("sentry", include_str!("../rules/sentry.toml")),
    ("shopify", include_str!("../rules/shopify.toml")),
    ("slack", include_str!("../rules/slack.toml")),
    ("source-ci", include_str!("../rules/source-ci.toml")),
    ("square", include_str!("../rules/square.toml")),
    ("stripe", include_str!("../rules/stripe.toml")),
    ("supabase", include_str!("../rules/supabase.toml")),
    ("tailscale", include_str!("../rules/tailscale.toml")),
    ("telegram", include_str!("../rules/telegram.toml")),
    ("thingsboard", include_str!("../rules/thingsboard.toml")),
    ("truenas", include_str!("../rules/truenas.toml")),
    ("twilio", include_str!("../rules/twilio.toml")),
    ("twitch", include_str!("../rules/twitch.toml")),
    ("url-credentials", include_str!("../rules/url-credentials.toml")),
    ("vercel", include_str!("../rules/vercel.toml")),
    ("wireguard", include_str!("../rules/wireguard.toml")),
    ("wordpress", include_str!("../rules/wordpress.toml")),
    ("zendesk", include_str!("../rules/zendesk.toml")),
];

/// `(file name without extension, the file as JSON)` for each file of `rules/`, sorted by name:
/// what the program reads (parsing it takes a fifth of the instructions the TOML took); the
/// TOML of [`PACK`] is for the tests that hold the two together.
pub const PACK_JSON: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/pack_json.rs"));

/// [`PACK_JSON`] without the rules' `examples` and `negative_examples`, which are a quarter of
/// it: what a scan reads (`rules check` and `rules explain` read [`PACK_JSON`]).
pub const PACK_LEAN_JSON: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/pack_lean_json.rs"));

/// The keyword automaton of the built-in pack's keywords, computed by `build.rs` with
/// [`crate::keyword_table::build`] (see `matcher::KeywordDfa::new`, which takes it when a
/// scan's keywords are exactly [`prebuilt::KEYWORDS`]).
pub mod prebuilt {
    use crate::keyword_table::Tables;
    use std::borrow::Cow;

    include!(concat!(env!("OUT_DIR"), "/keyword_dfa.rs"));

    /// The tables, borrowed from the binary (nothing built or copied).
    pub fn tables() -> Tables {
        Tables {
            classes: CLASSES,
            table: Cow::Borrowed(&TABLE),
            first_match: FIRST_MATCH,
            stride: STRIDE,
            prefix: PREFIX,
            match_start: Cow::Borrowed(&MATCH_START),
            matches: Cow::Borrowed(&MATCHES),
            text: Cow::Borrowed(&TEXT),
        }
    }
}
