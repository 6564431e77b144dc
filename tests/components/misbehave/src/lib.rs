//! Placeholder; the sandbox tests' misbehaving component lands with the host.
wit_bindgen::generate!({ world: "extractor", path: "../../../wit" });
struct M;
impl Guest for M {
    fn info() -> PluginInfo {
        PluginInfo { name: "misbehave".into(), version: "0.1.0".into(), api_version: conductor_plugin_sdk::API_VERSION.into(), formats: vec!["misbehave".into()] }
    }
    fn extract(_o: ExtractOptions) -> Result<Document, ExtractError> {
        Err(ExtractError::Unsupported("placeholder".into()))
    }
}
export!(M);
