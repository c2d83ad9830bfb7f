//! The library as a `build.rs` uses it: one call, then `cargo:` lines for
//! every input it read and every warning; errors that show themselves whole
//! through `?`; and every option honoured by every entry point.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use indoc::indoc;
use kubetoml::{Options, Templates};

/// A project as a `build.rs` sees it: `deploy/web.toml` naming a file, a
/// folder and two variables (one of them unset), and a file next to
/// `deploy/` that nothing reads.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let deploy = dir.path().join("deploy");
    std::fs::create_dir_all(deploy.join("conf")).unwrap();
    std::fs::write(
        deploy.join("web.toml"),
        indoc! {r#"
            name = "web"
            image = "nginx:1.27"

            [configmaps.site]
            files = ["index.html", "conf/"]

            [secrets.db]
            from_env = { PASSWORD = "PG_PASSWORD" }
            mount = "/etc/db"
            default_mode = 440

            [secrets.registry]
            docker_registry = { server = "r.example", username = "u", password_env = "REGISTRY_TOKEN" }
        "#},
    )
    .unwrap();
    std::fs::write(deploy.join("index.html"), "<h1>hi</h1>\n").unwrap();
    std::fs::write(deploy.join("conf/a.conf"), "a = 1\n").unwrap();
    std::fs::write(deploy.join("conf/b.conf"), "b = 2\n").unwrap();
    std::fs::write(deploy.join("unread.txt"), "not named anywhere\n").unwrap();
    dir
}

/// What the book's `build.rs` (`docs/src/integrations.md`) does, with `vars` as its environment:
/// compiles, writes the YAML to `out_dir`, and returns the lines it prints.
fn build_rs(
    root: &Path,
    out_dir: &Path,
    vars: &[(&str, &str)],
) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let options = Options::new().env(vars.iter().copied());
    let out = kubetoml::compile_file(root.join("deploy/web.toml"), &options)?;
    std::fs::write(out_dir.join("web.yaml"), out.to_yaml())?;
    let mut printed = Vec::new();
    for file in &out.inputs().files {
        printed.push(format!("cargo:rerun-if-changed={}", file.display()));
    }
    for var in &out.inputs().env_vars {
        printed.push(format!("cargo:rerun-if-env-changed={var}"));
    }
    for warning in out.warning_lines() {
        printed.push(format!("cargo:warning={warning}"));
    }
    Ok(printed)
}

#[test]
fn a_build_script_learns_every_file_and_variable_it_read() {
    let project = project();
    let out_dir = tempfile::tempdir().unwrap();
    // Without `REGISTRY_TOKEN` the description is an error, naming it.
    let missing = build_rs(project.path(), out_dir.path(), &[("PG_PASSWORD", "pw")]);
    let error = missing.unwrap_err().to_string();
    assert!(error.contains("`REGISTRY_TOKEN`"), "{error}");

    let vars = [("PG_PASSWORD", "pw"), ("REGISTRY_TOKEN", "tok")];
    let printed = build_rs(project.path(), out_dir.path(), &vars).unwrap();
    let deploy = std::fs::canonicalize(project.path().join("deploy")).unwrap();
    let changed = |p: &str| format!("cargo:rerun-if-changed={}", deploy.join(p).display());
    let expected = vec![
        changed("conf"),
        changed("conf/a.conf"),
        changed("conf/b.conf"),
        changed("index.html"),
        changed("web.toml"),
        // The config hash's key: setting it changes the annotation.
        "cargo:rerun-if-env-changed=KUBETOML_HASH_KEY".to_owned(),
        "cargo:rerun-if-env-changed=PG_PASSWORD".to_owned(),
        "cargo:rerun-if-env-changed=REGISTRY_TOKEN".to_owned(),
    ];
    let (inputs, warnings): (Vec<String>, Vec<String>) = printed
        .into_iter()
        .partition(|l| l.starts_with("cargo:rerun-if-"));
    assert_eq!(inputs, expected);
    // The first warning is the description's own mistake; the lints follow.
    let warning = &warnings[0];
    // One line, pointing at `440`, with its help.
    let at = project.path().join("deploy/web.toml");
    let at = format!("cargo:warning={}:10:16: `default_mode = 440`", at.display());
    assert!(warning.starts_with(&at), "{warning}");
    assert!(
        !warning.contains('\n') && warning.contains(" (help: "),
        "{warning}"
    );
    let yaml = std::fs::read_to_string(out_dir.path().join("web.yaml")).unwrap();
    assert!(yaml.contains("PASSWORD: cHc="), "{yaml}");
}

#[test]
fn an_unset_variable_is_an_input_too() {
    let project = tempfile::tempdir().unwrap();
    let toml = indoc! {r#"
        name = "web"
        image = "nginx:1.27"
        env = { GREETING = { configmap = "c", key = "g" } }

        [configmaps.c]
        literals = { g = "hello" }
        from_env = { region = "KUBETOML_TEST_UNSET_REGION" }
    "#};
    std::fs::write(project.path().join("web.toml"), toml).unwrap();
    let vars: [(&str, &str); 0] = [];
    let out = kubetoml::compile_file(project.path().join("web.toml"), &Options::new().env(vars));
    // Unset, it is an error; the build script fails and cargo runs it again.
    let error = out.unwrap_err();
    assert!(
        error.to_string().contains("KUBETOML_TEST_UNSET_REGION"),
        "{error}"
    );
    let out = kubetoml::compile_file(
        project.path().join("web.toml"),
        &Options::new().env([("KUBETOML_TEST_UNSET_REGION", "eu")]),
    )
    .unwrap();
    assert_eq!(
        out.inputs().env_vars,
        ["KUBETOML_HASH_KEY", "KUBETOML_TEST_UNSET_REGION"]
    );
}

#[test]
fn debug_of_an_error_is_its_drawn_form() {
    let project = tempfile::tempdir().unwrap();
    let path = project.path().join("web.toml");
    std::fs::write(
        &path,
        indoc! {r#"
            name = "web"
            image = "nginx:1.27"
            replica = 3

            [secrets.s]
            literals = { token = "sup3r-s3cret-t0ken" }
        "#},
    )
    .unwrap();
    let error = kubetoml::compile_file(&path, &Options::new()).unwrap_err();
    let drawn = error.draw(false);
    assert!(drawn.contains("unknown field `replica`"), "{drawn}");
    assert!(drawn.contains(" --> "), "{drawn}");
    assert_eq!(format!("{error:?}"), drawn.trim_end());
    // What `fn main() -> Result<(), Box<dyn Error>>` prints after `Error: `.
    let boxed: Box<dyn std::error::Error> = Box::new(error);
    assert_eq!(format!("{boxed:?}"), drawn.trim_end());
    assert!(!format!("{boxed:?}").contains("sup3r-s3cret-t0ken"));
}

/// A description in `dir/app/` reading `dir/outside.txt`, and one variable.
fn reaching_out() -> (tempfile::TempDir, PathBuf, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("app")).unwrap();
    std::fs::write(dir.path().join("outside.txt"), "x").unwrap();
    let text = indoc! {r#"
        name = "web"
        image = "nginx:1.27"

        [configmaps.c]
        files = ["../outside.txt"]
        from_env = { v = "KUBETOML_TEST_OPTION_VAR" }
    "#};
    let path = dir.path().join("app/web.toml");
    std::fs::write(&path, text).unwrap();
    (dir, path, text.to_owned())
}

#[test]
fn every_entry_point_applies_every_option() {
    let (_dir, path, text) = reaching_out();
    let root = path.parent().unwrap();
    type Entry<'a> = Box<dyn Fn(&Options) -> Result<String, kubetoml::Error> + 'a>;
    let entries: [(&str, Entry); 3] = [
        (
            "compile_file",
            Box::new(|o| kubetoml::compile_file(&path, o).map(|out| out.to_yaml())),
        ),
        (
            "resolve_file",
            Box::new(|o| {
                let resolved = kubetoml::resolve_file(&path, o)?;
                Ok(resolved.render(&Templates::builtin())?.to_yaml())
            }),
        ),
        (
            "resolve",
            Box::new(|o| {
                let resolved = kubetoml::resolve("web.toml", &text, root, o)?;
                Ok(resolved.render(&Templates::builtin())?.to_yaml())
            }),
        ),
    ];
    let var = [("KUBETOML_TEST_OPTION_VAR", "from-the-options")];
    for (name, compile) in &entries {
        let refused = compile(&Options::new().env(var)).unwrap_err().to_string();
        assert!(refused.contains("not in or below"), "{name}: {refused}");

        let options = Options::new().env(var).allow_outside_root(true);
        let yaml = compile(&options).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(yaml.contains("v: from-the-options"), "{name}: {yaml}");

        let literal = Options::new().env(var).allow_outside_root(true);
        assert!(compile(&literal.no_literal_secrets(true)).is_ok(), "{name}");
    }
}

#[test]
fn no_literal_secrets_applies_to_every_entry_point() {
    let dir = tempfile::tempdir().unwrap();
    let text = "name = \"web\"\nimage = \"nginx\"\n[secrets.s]\nliterals = { k = \"v\" }\n";
    let path = dir.path().join("web.toml");
    std::fs::write(&path, text).unwrap();
    let strict = Options::new().no_literal_secrets(true);
    let results = [
        kubetoml::compile_file(&path, &strict).map(|_| ()),
        kubetoml::resolve_file(&path, &strict).map(|_| ()),
        kubetoml::resolve("web.toml", text, dir.path(), &strict).map(|_| ()),
    ];
    for result in results {
        let error = result.unwrap_err().to_string();
        assert!(error.contains("literal secret value"), "{error}");
    }
    assert!(kubetoml::compile_file(&path, &Options::new()).is_ok());
}

#[test]
fn options_debug_names_variables_without_their_values() {
    let options = Options::new().env(BTreeMap::from([("TOKEN".to_owned(), b"s3cr3t".to_vec())]));
    let debug = format!("{options:?}");
    assert!(
        debug.contains("TOKEN") && !debug.contains("s3cr3t"),
        "{debug}"
    );
}
