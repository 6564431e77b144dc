//! PDF extractor plugin (placeholder until the extractor lands).

wit_bindgen::generate!({ world: "extractor", path: "../../wit" });


struct Pdf;

impl Guest for Pdf {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "pdf".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            api_version: conductor_plugin_sdk::API_VERSION.into(),
            formats: vec!["pdf".into()],
        }
    }

    fn extract(_options: ExtractOptions) -> Result<Document, ExtractError> {
        Err(ExtractError::Unsupported("not implemented yet".into()))
    }
}

export!(Pdf);
