//! The secret scan as it was before the single-pass prefilter (each rule walking the whole
//! text), kept verbatim as the reference the differential test compares [`super::find`] with:
//! the rule drivers, and the helpers the new scan reorders or rewrites (`name_kind`,
//! `name_words`, `value_ok`, `strong_token`, `contains_ci`, `is_placeholder` and the two checks
//! that call it), which shadow the module's own here.

// Verbatim copies: keep them as they were, lints included.
#![allow(clippy::many_single_char_names)]

use super::*;

/// Every secret in `text`, in order, not overlapping.
pub fn find(text: &str) -> Vec<SecretMatch> {
    let lower = text.to_ascii_lowercase();
    let mut c = Cands::default();
    pem_blocks(text, &mut c);
    prefixed_tokens(text, &mut c);
    jwts(text, &mut c);
    webhook_urls(text, &lower, &mut c);
    url_credentials(text, &mut c);
    auth_headers(text, &lower, &mut c);
    cli_passwords(text, &lower, &mut c);
    assignments(text, &mut c);
    natural_language(text, &lower, &mut c);
    c.resolve()
}

fn pem_blocks(text: &str, c: &mut Cands) {
    let b = text.as_bytes();
    for (start, _) in text.match_indices("-----BEGIN ") {
        let label_start = start + "-----BEGIN ".len();
        let Some(rel) = text[label_start..].find("-----") else {
            continue;
        };
        let label = &text[label_start..label_start + rel];
        if label.len() > 60 || !label.contains("PRIVATE KEY") {
            continue;
        }
        let body = label_start + rel + 5;
        let end = match text[body..].find("-----END ") {
            Some(e) => {
                let after = body + e + "-----END ".len();
                match text[after..].find("-----") {
                    Some(x) if x <= 60 => after + x + 5,
                    _ => armour_end(b, body),
                }
            }
            // A truncated block is still a key: take the armoured body that follows.
            None => armour_end(b, body),
        };
        c.push(NAMED, start, end, "private_key");
    }
}

fn prefixed_tokens(text: &str, c: &mut Cands) {
    let b = text.as_bytes();
    let table = &*BY_FIRST;
    let mut i = 0;
    while i < b.len() {
        let cands = &table[b[i] as usize];
        if cands.is_empty() || !boundary_before(b, i) {
            i += 1;
            continue;
        }
        let mut next = i + 1;
        for &pi in cands {
            let p = &PREFIXES[pi];
            if !b[i..].starts_with(p.p.as_bytes()) {
                continue;
            }
            // The longest matching prefix decides; a failed body is not retried with a
            // shorter prefix (`sk-proj-XXXX` must not become a generic `sk-` key).
            let body_start = i + p.p.len();
            let mut j = body_start;
            while j < b.len() && j - body_start <= p.max && p.cs.has(b[j]) {
                j += 1;
            }
            // Trailing dashes/dots are punctuation, not part of the token.
            while j > body_start && matches!(b[j - 1], b'-' | b'.') && p.cs != Cs::B64 {
                j -= 1;
            }
            let body = &b[body_start..j];
            if body.len() >= p.min && body.len() <= p.max && body_ok(p, body) {
                c.push(NAMED, i, j, p.kind);
                next = j;
            }
            break;
        }
        i = next;
    }
}

fn jwts(text: &str, c: &mut Cands) {
    let b = text.as_bytes();
    for (start, _) in text.match_indices("eyJ") {
        if !boundary_before(b, start) {
            continue;
        }
        let part = |from: usize| {
            let mut j = from;
            while j < b.len() && (is_word(b[j]) || b[j] == b'-') {
                j += 1;
            }
            j
        };
        let e1 = part(start);
        if e1 - start < 10 || b.get(e1) != Some(&b'.') || !b[e1 + 1..].starts_with(b"eyJ") {
            continue;
        }
        let e2 = part(e1 + 1);
        if e2 - e1 < 10 || b.get(e2) != Some(&b'.') {
            continue;
        }
        let e3 = part(e2 + 1);
        if e3 - e2 > 16 {
            c.push(NAMED, start, e3, "jwt");
        }
    }
}

fn url_credentials(text: &str, c: &mut Cands) {
    let b = text.as_bytes();
    for (sep, _) in text.match_indices("://") {
        let mut s = sep;
        while s > 0 && (b[s - 1].is_ascii_alphanumeric() || matches!(b[s - 1], b'+' | b'.' | b'-'))
        {
            s -= 1;
        }
        if sep - s < 2 || !b[s].is_ascii_alphabetic() {
            continue;
        }
        let auth = sep + 3;
        let mut end = auth;
        while end < b.len()
            && end - auth < 512
            && !b[end].is_ascii_whitespace()
            && !matches!(
                b[end],
                b'/' | b'?' | b'#' | b'"' | b'\'' | b'<' | b'>' | b'`' | b')'
            )
        {
            end += 1;
        }
        let Some(at) = b[auth..end]
            .iter()
            .rposition(|&x| x == b'@')
            .map(|p| auth + p)
        else {
            continue;
        };
        if !b
            .get(at + 1)
            .is_some_and(|&h| h.is_ascii_alphanumeric() || h == b'[')
        {
            continue;
        }
        let userinfo = &b[auth..at];
        if userinfo.first() == Some(&b'[') {
            // Already redacted (`[REDACTED:…]@host`): keep redaction idempotent.
            continue;
        }
        match userinfo.iter().position(|&x| x == b':') {
            Some(colon) => {
                let pass = &userinfo[colon + 1..];
                if pass.len() >= 3 && !url_placeholder(pass) {
                    c.push(GENERIC, auth + colon + 1, at, "url_password");
                }
            }
            None => {
                // A bare token as the user part (`https://<token>@github.com`).
                if strong_token(userinfo) {
                    c.push(GENERIC, auth, at, "url_token");
                }
            }
        }
    }
}

fn auth_headers(text: &str, lower: &str, c: &mut Cands) {
    let b = text.as_bytes();
    for (scheme, kind) in [
        ("bearer", "bearer_token"),
        ("basic", "basic_auth"),
        ("token", "token"),
    ] {
        for (at, _) in lower.match_indices(scheme) {
            if !boundary_before(b, at) {
                continue;
            }
            let mut v = at + scheme.len();
            if b.get(v) != Some(&b' ') {
                continue;
            }
            while b.get(v) == Some(&b' ') {
                v += 1;
            }
            let mut e = v;
            while e < b.len()
                && (b[e].is_ascii_alphanumeric() || b"._~+/=-".contains(&b[e]))
                && e - v < 4096
            {
                e += 1;
            }
            let val = &b[v..e];
            let ok = match kind {
                "basic_auth" => val.len() >= 8 && basic_decodes(val),
                // "Authorization: token X" (GitHub style) only right after the header name.
                "token" => lower[..at].trim_end().ends_with("authorization:") && strong_token(val),
                _ => val.len() >= 16 && !is_placeholder(val) && class_count(val) >= 2,
            };
            if ok {
                c.push(GENERIC, v, e, kind);
            }
        }
    }
}

fn cli_passwords(text: &str, lower: &str, c: &mut Cands) {
    let b = text.as_bytes();
    // `--password=X`, `--token X`, … and `sshpass -p X`.
    let dashes = lower.contains("--");
    for flag in CLI_FLAGS {
        if flag.starts_with("--") && !dashes {
            continue;
        }
        for (at, _) in lower.match_indices(flag) {
            let e = at + flag.len();
            if flag.starts_with("--")
                && (!boundary_before(b, at) || b.get(e).is_some_and(|&x| is_word(x) || x == b'-'))
            {
                continue;
            }
            if let Some((vs, ve)) = value_after(b, e, true) {
                let v = &b[vs..ve];
                let password = flag.contains("pass");
                if (password && v.len() >= 6 && !is_placeholder(v) && class_count(v) >= 2)
                    || strong_token(v)
                {
                    c.push(GENERIC, vs, ve, "cli_password");
                }
            }
        }
    }
    // MySQL-style `-pSECRET` (no space) and `-u user:pass` (curl). The patterns hold no newline,
    // so a text without any of them has no line with one: skip the per-line work then.
    if ![" -p", " -u ", " --user "]
        .iter()
        .any(|p| lower.contains(p))
    {
        return;
    }
    for (line_start, line) in lines(text) {
        let ll = &lower[line_start..line_start + line.len()];
        let mut mysql = None;
        for (at, _) in ll.match_indices(" -p") {
            let vs = line_start + at + 3;
            let mysql = *mysql.get_or_insert_with(|| {
                ["mysql", "mariadb", "mysqldump", "mysqladmin"]
                    .iter()
                    .any(|m| ll.contains(m))
            });
            if !mysql || b.get(vs).is_none_or(|&x| x == b' ' || x == b'=') {
                continue;
            }
            if let Some((s, e)) = value_after(b, vs, false) {
                let v = &b[s..e];
                if v.len() >= 6 && !is_placeholder(v) && class_count(v) >= 2 {
                    c.push(GENERIC, s, e, "cli_password");
                }
            }
        }
        for pat in [" -u ", " --user "] {
            for (at, _) in ll.match_indices(pat) {
                let vs = line_start + at + pat.len();
                if let Some((s, e)) = value_after(b, vs, false) {
                    if is_placeholder(&b[s..e]) {
                        continue;
                    }
                    if let Some(colon) = b[s..e].iter().position(|&x| x == b':') {
                        let p = &b[s + colon + 1..e];
                        if p.len() >= 6 && !is_placeholder(p) && class_count(p) >= 2 {
                            c.push(GENERIC, s + colon + 1, e, "cli_password");
                        }
                    }
                }
            }
        }
    }
}

fn assignments(text: &str, c: &mut Cands) {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let x = b[i];
        if x != b'=' && x != b':' {
            i += 1;
            continue;
        }
        // Separators: `=`, `:`, `:=`, `=>`; not `==`, not `://`.
        let sep_start = i;
        let mut sep_end = i + 1;
        if x == b':' && b.get(i + 1) == Some(&b'=') || x == b'=' && b.get(i + 1) == Some(&b'>') {
            sep_end += 1;
        }
        i = sep_end;
        if (x == b'=' && b.get(sep_start + 1) == Some(&b'='))
            || (sep_start > 0 && matches!(b[sep_start - 1], b'=' | b'!' | b'<' | b'>'))
            || b[sep_end..].starts_with(b"//")
        {
            continue;
        }
        let Some((ns, ne)) = name_before(b, sep_start) else {
            continue;
        };
        let Some(kind) = name_kind(&text[ns..ne]) else {
            continue;
        };
        let Some((vs, ve)) = value_after(b, sep_end, true) else {
            continue;
        };
        let v = &b[vs..ve];
        // A code expression (`os.environ["X"]`, `getenv(...)`) is a reference, not a value.
        if matches!(b.get(ve), Some(b'(' | b'[')) {
            continue;
        }
        if value_ok(kind, v) {
            let k = if kind == NameKind::Password {
                "password"
            } else if contains_ci(&b[ns..ne], "aws") {
                "aws_secret_access_key"
            } else {
                "generic_secret"
            };
            c.push(GENERIC, vs, ve, k);
            i = ve.max(i);
        }
    }
}

fn natural_language(text: &str, lower: &str, c: &mut Cands) {
    let b = text.as_bytes();
    let lb = lower.as_bytes();
    let mut i = 0;
    while i < lb.len() {
        if !lb[i].is_ascii_alphabetic() || !boundary_before(lb, i) {
            i += 1;
            continue;
        }
        let mut e = i;
        while e < lb.len() && lb[e].is_ascii_alphabetic() {
            e += 1;
        }
        let word = &lower[i..e];
        i = e;
        if !NL_WORDS.contains(&word.trim_end_matches('s')) {
            continue;
        }
        // Look at the next few whitespace-separated chunks.
        let mut p = e;
        for _ in 0..4 {
            let before = p;
            while p < b.len() && matches!(b[p], b' ' | b':' | b'=' | b'\t') {
                p += 1;
            }
            if p == before {
                // Glued to the word (`key/…`, `token_ttl`): not a "key: value" phrase.
                break;
            }
            let s = p;
            while p < b.len() && !b[p].is_ascii_whitespace() {
                p += 1;
            }
            let mut ce = p;
            while ce > s && matches!(b[ce - 1], b'.' | b',' | b';' | b':' | b')' | b'"' | b'\'') {
                ce -= 1;
            }
            let mut cs = s;
            while cs < ce && matches!(b[cs], b'"' | b'\'' | b'(' | b'`') {
                cs += 1;
            }
            // Passwords in prose are shorter and carry symbols: "my password is rvWd9xi7!x".
            let pw = word.starts_with("pass") && {
                let v = &b[cs..ce];
                v.len() >= 8
                    && class_count(v) >= 3
                    && !is_placeholder(v)
                    && v.iter().all(u8::is_ascii_graphic)
            };
            if ce > cs && (strong_token(&b[cs..ce]) || pw) {
                c.push(GENERIC, cs, ce, "generic_secret");
                break;
            }
        }
    }
}

/// `(start, line)` for every line of `text`.
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut pos = 0;
    text.split('\n').map(move |l| {
        let s = pos;
        pos += l.len() + 1;
        (s, l)
    })
}

/// Splits an identifier into lowercase words: `snake_case`, `kebab-case`, `dotted.name`,
/// `camelCase`, `SCREAMING_CASE`.
fn name_words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for ch in name.chars() {
        if !ch.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if ch.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
            words.push(std::mem::take(&mut cur));
        }
        prev_lower = ch.is_ascii_lowercase() || ch.is_ascii_digit();
        cur.push(ch.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

fn name_kind(name: &str) -> Option<NameKind> {
    // Most names (`input`, `status`, `x`) hold no hint: skip splitting them into words.
    if !NAME_HINTS.iter().any(|h| contains_ci(name.as_bytes(), h)) {
        return None;
    }
    let w = name_words(name);
    // Names that describe a secret without holding one: its length, lifetime, location, id,
    // or a public counterpart.
    if w.iter().any(|x| NAME_NOT.contains(&x.as_str())) {
        return None;
    }
    // Glued names count too: PGPASSWORD, MYSQL_ROOTPASSWORD, APITOKEN, csrftoken.
    let ends =
        |x: &String, tails: &[&str]| tails.iter().any(|t| x.len() > t.len() && x.ends_with(t));
    if w.iter()
        .any(|x| NAME_PASS.contains(&x.as_str()) || ends(x, &["password", "passwd"]))
    {
        return Some(NameKind::Password);
    }
    if w.iter()
        .any(|x| NAME_SECRET.contains(&x.as_str()) || ends(x, &["secret", "token", "apikey"]))
    {
        return Some(NameKind::Secret);
    }
    let pair = w
        .windows(2)
        .any(|p| p[1] == "key" && NAME_PAIR_FIRST.contains(&p[0].as_str()));
    pair.then_some(NameKind::Secret)
}

fn value_ok(kind: NameKind, v: &[u8]) -> bool {
    if is_placeholder(v) || v.iter().any(|&x| x == b' ' || x == b'\t') {
        return false;
    }
    if v.windows(3).any(|w| w == b"://") || matches!(v[0], b'/' | b'.' | b'~' | b'\\') {
        return false;
    }
    // Plain words and identifiers (`true`, `null`, `REPLACE_ME`, `secrets.NPM_TOKEN`,
    // `dev-only-not-secret`) carry no digits; a number alone is a setting.
    let (l, u, d, _) = classes(v);
    if !d || !(l || u) {
        return false;
    }
    let ident = v.iter().all(|&x| is_word(x) || x == b'.')
        && v.split(|&x| x == b'.').all(|p| {
            p.first()
                .is_some_and(|f| f.is_ascii_alphabetic() || *f == b'_')
        })
        && v.contains(&b'.');
    if ident {
        return false;
    }
    match kind {
        NameKind::Password => v.len() >= 8 && distinct(v) >= 6,
        NameKind::Secret => v.len() >= 16 && distinct(v) >= 8 && entropy(v) >= 3.0,
    }
}

/// A value that is a credential on its own: long, varied, high-entropy.
fn strong_token(v: &[u8]) -> bool {
    // Hex (with dashes or slashes) is a hash, a UUID or an id far more often than a secret.
    let hexish = v
        .iter()
        .all(|&x| x.is_ascii_hexdigit() || matches!(x, b'-' | b'/' | b'.'));
    !hexish
        && v.len() >= 20
        && !is_placeholder(v)
        && entropy(v) >= 3.5
        && distinct(v) >= 12
        && v.iter()
            .all(|&x| x.is_ascii_alphanumeric() || b"+/=_.~-".contains(&x))
        && {
            let (l, u, d, _) = classes(v);
            (d && l && u) || (d && (l || u) && v.len() >= 32)
        }
}

// The placeholder test and substring search as they were (the module's are rewritten), and
// the two checks that call them, so they call these.

fn contains_ci(hay: &[u8], needle: &str) -> bool {
    let n = needle.as_bytes();
    n.len() <= hay.len() && hay.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

fn is_placeholder(v: &[u8]) -> bool {
    let Some(&first) = v.first() else {
        return true;
    };
    if matches!(
        first,
        b'$' | b'<' | b'[' | b'{' | b'%' | b'*' | b'#' | b'(' | b'@'
    ) {
        return true;
    }
    if v.iter().any(|&b| b >= 0x80) {
        // "…", "⟦REDACTED⟧" and the like: real tokens are ASCII.
        return true;
    }
    if distinct(v) <= 2 || v.windows(3).any(|w| w == b"...") {
        return true;
    }
    PLACEHOLDER_WORDS.iter().any(|w| contains_ci(v, w))
}

fn url_placeholder(pass: &[u8]) -> bool {
    is_placeholder(pass)
        || URL_WEAK
            .iter()
            .any(|w| pass.eq_ignore_ascii_case(w.as_bytes()))
}

fn body_ok(p: &Prefix, body: &[u8]) -> bool {
    if is_placeholder(body) || distinct(body) < 6.min(body.len()) {
        return false;
    }
    match p.check {
        Check::None => true,
        Check::Digits8 => body.iter().filter(|b| b.is_ascii_digit()).count() >= 8,
        Check::Mixed => {
            let (l, u, d, _) = classes(body);
            d && (l || u) && distinct(body) >= 12
        }
        Check::TwoParts => {
            let dot = |x: &u8| *x == b'.';
            body.iter().position(dot).is_some()
                && body.iter().position(dot) == body.iter().rposition(dot)
        }
    }
}
