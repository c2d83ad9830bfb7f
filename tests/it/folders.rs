//! Issue 21, folders: `render -o` and `import -o` under crashes, failures, look-alike
//! folders, hostile object names and a full disk. Crashes and failures are injected
//! with `KUBETOML_FAULT` (debug builds only), since the tests run as root and a
//! read-only folder does not stop root.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn kubetoml() -> Command {
    let mut cmd = Command::cargo_bin("kubetoml").unwrap();
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    cmd
}

/// Whether the binary honours `KUBETOML_FAULT` (a debug build, as the test's).
fn faults_injected() -> bool {
    if !cfg!(debug_assertions) {
        eprintln!("skipped: KUBETOML_FAULT works in debug builds only");
    }
    cfg!(debug_assertions)
}

const APP: &str = "name = \"app\"\nimage = \"nginx:1.27\"\n";

/// A folder with `app.toml` holding `APP` and `extra`.
fn project(extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app.toml"), format!("{APP}{extra}")).unwrap();
    dir
}

fn render_into(dir: &Path, out: &Path, fault: Option<&str>) -> std::process::Output {
    let mut cmd = kubetoml();
    cmd.arg("render")
        .arg(dir.join("app.toml"))
        .arg("-o")
        .arg(out);
    if let Some(fault) = fault {
        cmd.env("KUBETOML_FAULT", fault);
    }
    cmd.output().unwrap()
}

/// Every entry of `dir`, sorted.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn read(path: PathBuf) -> String {
    std::fs::read_to_string(path).unwrap()
}

/// The StatefulSet file of an output folder.
fn statefulset(out: &Path) -> String {
    let name = entries(out)
        .into_iter()
        .find(|n| n.contains("statefulset"))
        .unwrap();
    read(out.join(name))
}

#[test]
fn folders_that_only_look_like_kubetoml_s_are_never_touched() {
    let dir = project("");
    let out = dir.path().join("out");
    // What a user (or another tool) keeps under the names kubetoml used to use, and
    // under its names of today with any suffix.
    let lookalikes = [
        ".out.kubetoml-staging",
        ".out.kubetoml-old",
        ".out.kubetoml-4242",
        ".out.kubetoml-old-4242",
        ".out.kubetoml-staging-1-2-0",
        ".out.kubetoml-old-1-2-0",
    ];
    for name in lookalikes {
        std::fs::create_dir(dir.path().join(name)).unwrap();
        std::fs::write(dir.path().join(name).join("mine.txt"), name).unwrap();
    }
    // A journal-like file that kubetoml did not write, naming one of them.
    let fake = dir.path().join(".out.kubetoml-journal-1-2-0");
    std::fs::write(
        &fake,
        "kubetoml journal 1\ndir out\nold .out.kubetoml-old\nowned .out.kubetoml-old 1 2\n",
    )
    .unwrap();
    for _ in 0..2 {
        let run = render_into(dir.path(), &out, None);
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
    }
    for name in lookalikes {
        assert_eq!(read(dir.path().join(name).join("mine.txt")), name);
    }
    assert!(fake.is_file());
    let mut want: Vec<String> = lookalikes.iter().map(|s| s.to_string()).collect();
    want.extend([
        ".out.kubetoml-journal-1-2-0".into(),
        "app.toml".into(),
        "out".into(),
    ]);
    want.sort();
    assert_eq!(entries(dir.path()), want);
}

/// Kills the run at each step between staging and cleanup; the next run finds the old
/// folder back (or the new one in place), removes what the killed run left, and writes.
#[test]
fn a_run_killed_at_any_step_is_undone_by_the_next() {
    if !faults_injected() {
        return;
    }
    for step in ["aside-recorded", "staged", "moved-aside", "swapped"] {
        let dir = project("replicas = 2\n");
        let out = dir.path().join("out");
        assert!(render_into(dir.path(), &out, None).status.success());
        std::fs::write(dir.path().join("app.toml"), format!("{APP}replicas = 3\n")).unwrap();
        let killed = render_into(dir.path(), &out, Some(&format!("crash:{step}")));
        assert!(!killed.status.success(), "{step}");
        let aside = entries(dir.path())
            .iter()
            .any(|n| n.contains("kubetoml-old"));
        // The name the folder is to be moved aside as is in the journal before the
        // files are staged; it names a folder only once the folder is moved.
        let old = journal_lines(dir.path(), "old ");
        assert_eq!(old.len(), 1, "{step}");
        assert_eq!(dir.path().join(&old[0]).exists(), aside, "{step}");
        match step {
            // The only window with no folder at `out`: the next run puts it back.
            "moved-aside" => assert!(!out.exists() && aside, "{step}"),
            "swapped" => assert!(statefulset(&out).contains("replicas: 3"), "{step}"),
            _ => assert!(statefulset(&out).contains("replicas: 2"), "{step}"),
        }
        std::fs::write(dir.path().join("app.toml"), format!("{APP}replicas = 4\n")).unwrap();
        let next = render_into(dir.path(), &out, None);
        assert!(
            next.status.success(),
            "{step}: {}",
            String::from_utf8_lossy(&next.stderr)
        );
        assert!(statefulset(&out).contains("replicas: 4"), "{step}");
        assert_eq!(entries(dir.path()), ["app.toml", "out"], "{step}");
    }
}

/// The lines starting with `word` of the one journal in `dir`, without the word.
fn journal_lines(dir: &Path, word: &str) -> Vec<String> {
    let journals: Vec<String> = (entries(dir).into_iter())
        .filter(|n| n.contains("kubetoml-journal"))
        .collect();
    assert_eq!(journals.len(), 1, "{journals:?}");
    (read(dir.join(&journals[0])).lines())
        .filter_map(|l| l.strip_prefix(word))
        .map(str::to_owned)
        .collect()
}

/// The journal's sync, or a file, fails while the staging folder is being filled (the
/// sync runs on a thread of its own meanwhile): the render fails, the output folder is
/// as it was, and nothing of the run is left, not even its journal.
#[test]
fn a_failed_sync_or_write_while_staging_leaves_the_folder_as_it_was() {
    if !faults_injected() {
        return;
    }
    for fault in ["fail:sync", "fail:stage"] {
        let dir = project("replicas = 2\n");
        let out = dir.path().join("out");
        assert!(render_into(dir.path(), &out, None).status.success());
        let before: Vec<(String, String)> = (entries(&out).into_iter())
            .map(|n| (read(out.join(&n)), n))
            .collect();
        std::fs::write(dir.path().join("app.toml"), format!("{APP}replicas = 3\n")).unwrap();
        let failed = render_into(dir.path(), &out, Some(fault));
        assert_eq!(failed.status.code(), Some(1), "{fault}");
        let stderr = String::from_utf8_lossy(&failed.stderr);
        assert!(stderr.contains("injected failure"), "{fault}: {stderr}");
        let after: Vec<(String, String)> = (entries(&out).into_iter())
            .map(|n| (read(out.join(&n)), n))
            .collect();
        assert_eq!(after, before, "{fault}");
        assert_eq!(entries(dir.path()), ["app.toml", "out"], "{fault}");
        assert!(render_into(dir.path(), &out, None).status.success());
        assert!(statefulset(&out).contains("replicas: 3"), "{fault}");
    }
}

/// A run killed between its two renames, then a `--check`: the old folder is found
/// back by the next render only, and a render that fails still recovers it.
#[test]
fn a_failed_rename_puts_the_old_folder_back_at_once() {
    if !faults_injected() {
        return;
    }
    let dir = project("");
    let out = dir.path().join("out");
    assert!(render_into(dir.path(), &out, None).status.success());
    let before = statefulset(&out);
    // A change, so the folder is replaced (an unchanged one is left as it is).
    std::fs::write(dir.path().join("app.toml"), format!("{APP}replicas = 3\n")).unwrap();
    let failed = render_into(dir.path(), &out, Some("fail:rename-staging"));
    assert_eq!(failed.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(
        stderr.contains("injected failure at `rename-staging`"),
        "{stderr}"
    );
    assert_eq!(statefulset(&out), before);
    assert_eq!(entries(dir.path()), ["app.toml", "out"]);
}

/// The folder moved aside cannot be removed (as when the output folder is read-only
/// for a user who is not root): the render still succeeds, keeps a journal, and the
/// next render, which can, removes it; nothing stands in the way meanwhile.
#[test]
fn a_backup_that_cannot_be_removed_never_breaks_the_next_render() {
    if !faults_injected() {
        return;
    }
    let dir = project("");
    let out = dir.path().join("out");
    assert!(render_into(dir.path(), &out, None).status.success());
    for replicas in [2, 3] {
        // A change, so the folder is replaced (an unchanged one is left as it is).
        let app = format!("{APP}replicas = {replicas}\n");
        std::fs::write(dir.path().join("app.toml"), app).unwrap();
        let run = render_into(dir.path(), &out, Some("fail:remove-old"));
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
    }
    let left = entries(dir.path());
    assert_eq!(
        left.iter().filter(|n| n.contains("kubetoml-old")).count(),
        2,
        "{left:?}"
    );
    assert_eq!(
        left.iter()
            .filter(|n| n.contains("kubetoml-journal"))
            .count(),
        2,
        "{left:?}"
    );
    assert!(render_into(dir.path(), &out, None).status.success());
    assert_eq!(entries(dir.path()), ["app.toml", "out"]);
}

/// A render whose files are all in the folder already, byte for byte, with the same
/// manifest and nothing else, leaves the folder as it is (not replaced: the same
/// inode, no journal); any difference replaces it as before, and the folder is then
/// what a render into a new folder writes.
#[cfg(unix)]
#[test]
fn an_up_to_date_folder_is_left_as_it_is() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let dir = project(
        "extra_manifests = [\"extra.yaml\"]\n[secrets.auth]\nfrom_env = { PASSWORD = \"PW\" }\n",
    );
    // Enough files for the folder to be read and staged on two threads.
    let extra: Vec<String> = (0..40)
        .map(|i| {
            format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\ndata:\n  k: v{i}\n")
        })
        .collect();
    std::fs::write(dir.path().join("extra.yaml"), extra.join("---\n")).unwrap();
    let render = |out: &Path| {
        let run = kubetoml()
            .env("PW", "hunter2")
            .arg("render")
            .arg(dir.path().join("app.toml"))
            .arg("-o")
            .arg(out)
            .output()
            .unwrap();
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
    };
    let out = dir.path().join("out");
    let inode = |p: &Path| std::fs::symlink_metadata(p).unwrap().ino();
    // Every entry's name, bytes and mode.
    let content = |p: &Path| -> Vec<(String, String, u32)> {
        (entries(p).into_iter())
            .map(|n| {
                let mode = std::fs::symlink_metadata(p.join(&n)).unwrap().mode() & 0o777;
                (read(p.join(&n)), n, mode)
            })
            .collect()
    };
    let fresh = dir.path().join("fresh");
    render(&fresh);
    render(&out);
    let first = inode(&out);
    render(&out);
    assert_eq!(inode(&out), first, "an unchanged folder is not replaced");
    assert_eq!(content(&out), content(&fresh));
    let secret = entries(&out)
        .into_iter()
        .find(|n| n.contains("-secret-"))
        .unwrap();
    let manifest = out.join(".kubetoml-manifest");
    let changes: [(&str, &dyn Fn()); 3] = [
        ("a file missing", &|| {
            std::fs::remove_file(out.join(&secret)).unwrap();
        }),
        ("the manifest edited", &|| {
            let text = read(manifest.clone());
            std::fs::write(&manifest, format!("# mine\n{text}")).unwrap();
        }),
        ("a Secret readable by others", &|| {
            let readable = std::fs::Permissions::from_mode(0o644);
            std::fs::set_permissions(out.join(&secret), readable).unwrap();
        }),
    ];
    for (what, change) in changes {
        let before = inode(&out);
        change();
        render(&out);
        assert_ne!(inode(&out), before, "{what}: replaced");
        assert_eq!(content(&out), content(&fresh), "{what}");
        assert_eq!(
            entries(dir.path()),
            ["app.toml", "extra.yaml", "fresh", "out"],
            "{what}: nothing left beside"
        );
    }
}

/// A file where the output folder's parent should be: a clear error, nothing made.
#[test]
fn an_unwritable_parent_leaves_nothing_behind() {
    let dir = project("");
    std::fs::write(dir.path().join("blocker"), "a file").unwrap();
    let run = render_into(dir.path(), &dir.path().join("blocker/out"), None);
    assert_eq!(run.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("blocker"), "{stderr}");
    assert_eq!(entries(dir.path()), ["app.toml", "blocker"]);
}

/// Object names with line breaks, escapes and bidirectional overrides (an
/// `extra_manifests` object may be named anything): every file name is one safe line,
/// and the next render replaces the folder as its own.
#[test]
fn hostile_object_names_make_files_the_next_render_accepts() {
    let dir = project("extra_manifests = [\"extra.yaml\"]\n");
    // (`/` is refused before anything is written: it cannot name an object.)
    let names = ["a\nb", "c\u{1b}[2Jd", "e\u{202e}f", "i\\j", "k\rl\u{85}"];
    let extra: Vec<String> = names
        .iter()
        .map(|n| {
            format!(
                "apiVersion: example.com/v1\nkind: Thing\nmetadata:\n  name: {}\n",
                serde_json::to_string(n).unwrap()
            )
        })
        .collect();
    std::fs::write(dir.path().join("extra.yaml"), extra.join("---\n")).unwrap();
    let out = dir.path().join("out");
    let first = render_into(dir.path(), &out, None);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert_eq!(entries(&out).len(), 2 + names.len() + 1);
    for name in entries(&out) {
        assert!(
            !name
                .chars()
                .any(|c| kubetoml::escape_char(c).is_some() || c == '\\'),
            "{name:?}"
        );
    }
    let second = render_into(dir.path(), &out, None);
    assert!(
        second.status.success(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    let check = kubetoml()
        .arg("render")
        .arg(dir.path().join("app.toml"))
        .arg("--check")
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
}

/// Mounts a tmpfs of `size` at `at`; `false` (with the reason printed) when this
/// system does not let the test mount.
fn small_disk(at: &Path, size: &str) -> bool {
    std::fs::create_dir_all(at).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
        .arg(at)
        .output();
    match mounted {
        Ok(out) if out.status.success() => true,
        Ok(out) => {
            eprintln!(
                "skipped: cannot mount a tmpfs: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            false
        }
        Err(e) => {
            eprintln!("skipped: cannot run mount: {e}");
            false
        }
    }
}

struct Unmount(PathBuf);

impl Drop for Unmount {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

/// An import with a 100 KB ConfigMap value on a 64 KiB disk.
const BIG_IMPORT: &str = "apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  serviceName: web
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        volumeMounts:
        - {name: conf, mountPath: /etc/conf}
      volumes:
      - name: conf
        configMap: {name: conf}
";

fn big_configmap() -> String {
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: conf\ndata:\n  a.txt: hello\n  big.txt: {}\n",
        "x".repeat(100_000)
    )
}

#[test]
fn import_on_a_full_disk_leaves_nothing_half_written() {
    let dir = tempfile::tempdir().unwrap();
    let disk = dir.path().join("disk");
    if !small_disk(&disk, "64k") {
        return;
    }
    let _unmount = Unmount(disk.clone());
    let input = dir.path().join("in.yaml");
    std::fs::write(&input, format!("{}---\n{BIG_IMPORT}", big_configmap())).unwrap();
    let run = kubetoml()
        .arg("import")
        .arg(&input)
        .arg("-o")
        .arg(disk.join("out"))
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("No space left on device"), "{stderr}");
    assert!(stderr.contains("nothing was written"), "{stderr}");
    assert_eq!(
        entries(&disk),
        Vec::<String>::new(),
        "nothing, not even a folder"
    );
    // `render -o` on the same disk: all or nothing too.
    std::fs::write(
        dir.path().join("app.toml"),
        format!(
            "{APP}[configmaps.c]\nliterals = {{ a = \"{}\" }}\n",
            "y".repeat(100_000)
        ),
    )
    .unwrap();
    let run = render_into(dir.path(), &disk.join("out"), None);
    assert_eq!(run.status.code(), Some(1));
    assert_eq!(entries(&disk), Vec::<String>::new());
}

/// Placing the files fails half-way: the ones already placed go again, and a file that
/// was there before is never replaced.
#[test]
fn import_is_all_or_nothing_and_never_replaces_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.yaml");
    std::fs::write(&input, format!("{}---\n{BIG_IMPORT}", big_configmap())).unwrap();
    let out = dir.path().join("out");
    let import = |fault: Option<&str>| {
        let mut cmd = kubetoml();
        cmd.arg("import").arg(&input).arg("-o").arg(&out);
        if let Some(fault) = fault {
            cmd.env("KUBETOML_FAULT", fault);
        }
        cmd.output().unwrap()
    };
    if faults_injected() {
        let run = import(Some("fail:import-place"));
        assert_eq!(run.status.code(), Some(1));
        assert!(
            !out.exists(),
            "{:?}",
            std::fs::read_dir(dir.path()).unwrap().count()
        );
    }
    std::fs::create_dir_all(out.join("configmaps/conf")).unwrap();
    std::fs::write(out.join("configmaps/conf/big.txt"), "mine").unwrap();
    let run = import(None);
    assert_eq!(run.status.code(), Some(1));
    assert_eq!(read(out.join("configmaps/conf/big.txt")), "mine");
    assert_eq!(entries(&out), ["configmaps"]);
    assert_eq!(entries(&out.join("configmaps/conf")), ["big.txt"]);
}
