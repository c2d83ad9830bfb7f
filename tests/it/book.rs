//! The book (`docs/`) and the README: the book builds with the real `mdbook`
//! with no dead link or anchor, and every ```toml block in them renders (or,
//! marked so, fails with the error shown next to it). The conventions are in
//! `docs/src/development.md`, "Writing the book".

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The `mdbook` that `.ci/test` installs into `.ci/tools`, else one on PATH.
fn mdbook() -> PathBuf {
    let local = root().join(".ci/tools/bin/mdbook");
    if local.exists() {
        return local;
    }
    match Command::new("mdbook").arg("--version").output() {
        Ok(out) if out.status.success() => PathBuf::from("mdbook"),
        _ => panic!(
            "mdbook is missing: `bash .ci/test` installs it into .ci/tools \
             (cargo install --locked --root .ci/tools mdbook)"
        ),
    }
}

/// Builds the book into a temporary folder; the build must succeed and warn
/// about nothing.
fn build_book() -> tempfile::TempDir {
    let out = tempfile::tempdir().unwrap();
    let run = Command::new(mdbook())
        .arg("build")
        .arg(root().join("docs"))
        .arg("--dest-dir")
        .arg(out.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "mdbook build failed:\n{stderr}");
    let noisy: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("WARN") || l.contains("ERROR"))
        .collect();
    assert!(
        noisy.is_empty(),
        "mdbook build warns:\n{}",
        noisy.join("\n")
    );
    out
}

fn files_under(dir: &Path, ext: &str, found: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files_under(&path, ext, found);
        } else if path.extension().is_some_and(|e| e == ext) {
            found.push(path);
        }
    }
}

/// The values of `attr="..."` in an HTML text, unescaped.
fn attributes<'a>(html: &'a str, attr: &str) -> Vec<String> {
    let needle = format!(" {attr}=\"");
    let mut values = Vec::new();
    let mut rest: &'a str = html;
    while let Some(at) = rest.find(&needle) {
        rest = &rest[at + needle.len()..];
        let end = rest.find('"').unwrap_or(rest.len());
        values.push(
            rest[..end]
                .replace("&amp;", "&")
                .replace("&quot;", "\"")
                .replace("&#39;", "'"),
        );
        rest = &rest[end..];
    }
    values
}

fn is_external(link: &str) -> bool {
    link.starts_with("//")
        || link.starts_with("mailto:")
        || link.starts_with("javascript:")
        || link
            .split_once(':')
            .is_some_and(|(scheme, _)| !scheme.contains('/') && !scheme.contains('#'))
}

/// The ids of every HTML file of the built book, by path.
fn ids_by_file(book: &Path) -> BTreeMap<PathBuf, BTreeSet<String>> {
    let mut pages = Vec::new();
    files_under(book, "html", &mut pages);
    pages
        .into_iter()
        .map(|page| {
            let html = std::fs::read_to_string(&page).unwrap();
            let ids = attributes(&html, "id").into_iter().collect();
            (page, ids)
        })
        .collect()
}

/// Where `link`, found in `from`, leads: `Err` says why it is dead.
fn check_link(
    book: &Path,
    from: &Path,
    link: &str,
    ids: &BTreeMap<PathBuf, BTreeSet<String>>,
) -> Result<(), String> {
    let (path, anchor) = link.split_once('#').unwrap_or((link, ""));
    let target = if path.is_empty() {
        from.to_path_buf()
    } else {
        // `404.html` links from the site's root (mdbook's `site-url`, `/`).
        let mut target = match path.strip_prefix('/') {
            Some(absolute) => book.join(absolute),
            None => from.parent().unwrap().join(path),
        };
        if path.ends_with('/') || target.is_dir() {
            target = target.join("index.html");
        }
        normalize(&target)
    };
    if !target.exists() {
        return Err(format!("{} does not exist", target.display()));
    }
    if anchor.is_empty() {
        return Ok(());
    }
    match ids.get(&target) {
        Some(page_ids) if page_ids.contains(anchor) => Ok(()),
        Some(_) => Err(format!("{} has no id `{anchor}`", target.display())),
        None => Err(format!("{} is not a page of the book", target.display())),
    }
}

/// `a/b/../c` -> `a/c`, without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[test]
fn the_book_builds_with_no_dead_link() {
    let book = build_book();
    let ids = ids_by_file(book.path());
    let mut dead = Vec::new();
    for page in ids.keys() {
        let html = std::fs::read_to_string(page).unwrap();
        let mut links = attributes(&html, "href");
        links.extend(attributes(&html, "src"));
        for link in links.iter().filter(|l| !is_external(l)) {
            if let Err(why) = check_link(book.path(), page, link, &ids) {
                let page = page.strip_prefix(book.path()).unwrap();
                dead.push(format!("{}: `{link}`: {why}", page.display()));
            }
        }
    }
    assert!(dead.is_empty(), "dead links:\n{}", dead.join("\n"));

    // Every page of docs/src is in SUMMARY.md (mdbook builds only those).
    let src = root().join("docs/src");
    let mut sources = Vec::new();
    files_under(&src, "md", &mut sources);
    for source in sources {
        let relative = source.strip_prefix(&src).unwrap();
        if relative == Path::new("SUMMARY.md") {
            continue;
        }
        let html = book.path().join(relative).with_extension("html");
        assert!(
            html.exists(),
            "docs/src/{} is not in docs/src/SUMMARY.md",
            relative.display()
        );
    }
}

/// The README's relative links lead to files of the repository, and an
/// anchor into a page of the book is an id of that page.
#[test]
fn the_readme_links_into_the_book() {
    let book = build_book();
    let ids = ids_by_file(book.path());
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let mut dead = Vec::new();
    let mut rest = readme.as_str();
    while let Some(at) = rest.find("](") {
        rest = &rest[at + 2..];
        let link = &rest[..rest.find(')').unwrap()];
        if is_external(link) {
            continue;
        }
        let (path, anchor) = link.split_once('#').unwrap_or((link, ""));
        if !root().join(path).exists() {
            dead.push(format!("`{link}`: {path} does not exist"));
            continue;
        }
        if let Some(page) = path.strip_prefix("docs/src/") {
            let html = book.path().join(page).with_extension("html");
            let anchor_ok = anchor.is_empty() || ids.get(&html).is_some_and(|i| i.contains(anchor));
            if !anchor_ok {
                dead.push(format!("`{link}`: no id `{anchor}` in the built page"));
            }
        }
    }
    assert!(
        dead.is_empty(),
        "dead links in README.md:\n{}",
        dead.join("\n")
    );
}

/// A fenced block of a Markdown file: its info string, its text, the marker
/// comment right before it (`<!-- book: ... -->`), and where it starts.
struct Block {
    info: String,
    text: String,
    marker: Option<String>,
    line: usize,
}

fn blocks(markdown: &str) -> Vec<Block> {
    let mut found = Vec::new();
    let mut lines = markdown.lines().enumerate();
    let mut previous: Option<&str> = None;
    while let Some((n, line)) = lines.next() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let fence_len = trimmed.chars().take_while(|&c| c == '`').count();
        if fence_len < 3 {
            if !line.trim().is_empty() {
                previous = Some(line.trim());
            }
            continue;
        }
        let fence = &trimmed[..fence_len];
        let info = trimmed[fence_len..].trim().to_owned();
        let mut text = String::new();
        for (_, inner) in lines.by_ref() {
            if inner.trim_start().starts_with(fence) && inner.trim() == fence {
                break;
            }
            text.push_str(inner.get(indent..).unwrap_or(inner.trim_start()));
            text.push('\n');
        }
        let marker = previous
            .and_then(|p| p.strip_prefix("<!-- book:"))
            .and_then(|p| p.strip_suffix("-->"))
            .map(|m| m.trim().to_owned());
        found.push(Block {
            info,
            text,
            marker,
            line: n + 1,
        });
        previous = None;
    }
    found
}

/// What a marker asks for; see "Writing the book" in docs/src/development.md.
#[derive(Default)]
struct Marker {
    fail: bool,
    output: bool,
    folder: Option<String>,
    over: Option<String>,
    name: Option<String>,
    args: Vec<String>,
}

fn parse_marker(marker: &str) -> Result<Marker, String> {
    let mut parsed = Marker::default();
    let mut words = marker.split_whitespace();
    while let Some(word) = words.next() {
        let mut value = |what: &str| {
            words
                .next()
                .map(str::to_owned)
                .ok_or(format!("`{word}` takes {what}"))
        };
        match word {
            "fail" => parsed.fail = true,
            "output" => parsed.output = true,
            "in" => parsed.folder = Some(value("a folder")?),
            "over" => parsed.over = Some(value("a description")?),
            "as" => parsed.name = Some(value("a file name")?),
            "args" => parsed.args = words.by_ref().map(str::to_owned).collect(),
            other => return Err(format!("unknown word `{other}` in the marker")),
        }
    }
    Ok(parsed)
}

fn copy_folder(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_folder(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// The build-time variables every block is rendered with.
const BOOK_ENV: [(&str, &str); 3] = [
    ("PG_PASSWORD", "correct horse battery staple"),
    ("REGISTRY_TOKEN", "registry-token-for-tests"),
    ("CI_IMAGE", "registry.example.com/web:3f9c2a1"),
];

/// Whether `actual` is `expected`, where a line `...` in `expected` stands
/// for any number of lines. Trailing spaces and blank lines do not count.
fn matches(expected: &[&str], actual: &[&str]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((&"...", rest)) => (0..=actual.len()).any(|skip| matches(rest, &actual[skip..])),
        Some((line, rest)) => {
            actual
                .first()
                .is_some_and(|a| a.trim_end() == line.trim_end())
                && matches(rest, &actual[1..])
        }
    }
}

fn significant(text: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = text.lines().filter(|l| !l.starts_with("$ ")).collect();
    while lines.last().is_some_and(|l| l.trim().is_empty()) {
        lines.pop();
    }
    while lines.first().is_some_and(|l| l.trim().is_empty()) {
        lines.remove(0);
    }
    lines
}

/// Renders one ```toml block as its marker says; `Err` says what went wrong.
fn check_block(block: &Block, next: Option<&Block>) -> Result<(), String> {
    let marker = parse_marker(block.marker.as_deref().unwrap_or(""))?;
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let folder = marker
        .over
        .as_deref()
        .map(|d| Path::new(d).parent().unwrap().to_str().unwrap().to_owned())
        .or(marker.folder.clone());
    if let Some(folder) = &folder {
        copy_folder(&root().join(folder), &work);
    }
    let default_name = if marker.over.is_some() {
        "layer.toml"
    } else {
        "app.toml"
    };
    let name = marker.name.as_deref().unwrap_or(default_name);
    let file = normalize(&work.join(name));
    if !file.starts_with(dir.path()) {
        return Err(format!("`as {name}` leaves the test's folder"));
    }
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, &block.text).unwrap();

    let mut cmd = assert_cmd::Command::cargo_bin("kubetoml").unwrap();
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(BOOK_ENV)
        .current_dir(&work)
        .arg("render");
    match &marker.over {
        Some(over) => {
            let description = Path::new(over).file_name().unwrap();
            cmd.arg(description).arg("--overlay").arg(name);
        }
        None => {
            cmd.arg(name);
        }
    }
    cmd.args(&marker.args);
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);

    if marker.fail {
        if out.status.code() != Some(1) || !stdout.is_empty() {
            return Err(format!(
                "marked `fail`, but exits {:?} and prints {} bytes:\n{stderr}",
                out.status.code(),
                stdout.len()
            ));
        }
        let shown = next
            .filter(|n| n.info == "console" || n.info == "text")
            .ok_or("marked `fail` but no ```console or ```text block follows")?;
        if !matches(&significant(&shown.text), &significant(&stderr)) {
            return Err(format!(
                "the error shown at line {} is not the error printed:\n{stderr}",
                shown.line
            ));
        }
        return Ok(());
    }
    if !out.status.success() {
        return Err(format!("does not render:\n{stderr}"));
    }
    if marker.output {
        let shown = next
            .filter(|n| n.info == "yaml")
            .ok_or("marked `output` but no ```yaml block follows")?;
        if shown.text != stdout {
            return Err(format!(
                "the YAML shown at line {} is not the output:\n{stdout}",
                shown.line
            ));
        }
    }
    Ok(())
}

/// README.md and every page of the book.
fn documents() -> Vec<PathBuf> {
    let mut found = vec![root().join("README.md")];
    files_under(&root().join("docs/src"), "md", &mut found);
    found
}

#[test]
fn every_toml_block_renders_or_fails_as_shown() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for path in documents() {
        let text = std::fs::read_to_string(&path).unwrap();
        let shown = path.strip_prefix(root()).unwrap().display().to_string();
        let blocks = blocks(&text);
        for (i, block) in blocks.iter().enumerate() {
            let is_toml = block.info.split([',', ' ']).next() == Some("toml");
            if !is_toml {
                if block.marker.is_some() {
                    problems.push(format!(
                        "{shown}:{}: a marker on a non-toml block",
                        block.line
                    ));
                }
                continue;
            }
            checked += 1;
            if let Err(why) = check_block(block, blocks.get(i + 1)) {
                problems.push(format!("{shown}:{}: {why}", block.line));
            }
        }
    }
    assert!(checked > 15, "only {checked} toml blocks found");
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn matching_skips_lines_only_where_shown() {
    let actual = ["error: a", " --> x", "", "error: b"];
    assert!(matches(&["error: a", "...", "error: b"], &actual));
    assert!(matches(&["error: a", " --> x", "", "error: b"], &actual));
    assert!(!matches(&["error: a", "error: b"], &actual));
    assert!(!matches(&["error: a"], &actual));
}
