//! temporary
/// x
pub fn check_tls_pair(_c: &[u8], _k: &[u8]) -> Result<(), String> { Ok(()) }
/// x
pub fn docker_config_json(server: &str, u: &str, p: &str, _e: Option<&str>) -> Vec<u8> { format!("{{\"auths\":{{\"{server}\":{{\"username\":\"{u}\",\"password\":\"{p}\"}}}}}}").into_bytes() }
