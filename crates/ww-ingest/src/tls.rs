//! TLS server configuration for syslog over TLS (RFC 5425), with rustls and the `ring` provider.

use std::io::BufReader;
use std::path::Path;
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::IngestError;

/// Largest PEM file read (a certificate chain is a few KiB).
const MAX_PEM: u64 = 1 << 20;

/// A server configuration from a PEM certificate chain (leaf first) and a PEM private key
/// (PKCS#8, PKCS#1 or SEC1). No client authentication; TLS 1.2 and 1.3.
pub fn server_config(cert_pem_path: &Path, key_pem_path: &Path) -> Result<Arc<ServerConfig>, IngestError> {
    let cert_pem = read_pem(cert_pem_path)?;
    let key_pem = read_pem(key_pem_path)?;
    server_config_from_pem(&cert_pem, &key_pem, cert_pem_path, key_pem_path)
}

fn read_pem(path: &Path) -> Result<Vec<u8>, IngestError> {
    let file_err = |error| IngestError::TlsFile { path: path.display().to_string(), error };
    let len = std::fs::metadata(path).map_err(file_err)?.len();
    if len > MAX_PEM {
        return Err(IngestError::TlsPem {
            path: path.display().to_string(),
            reason: format!("{len} bytes, more than the {MAX_PEM}-byte limit for a PEM file"),
        });
    }
    std::fs::read(path).map_err(file_err)
}

fn server_config_from_pem(
    cert_pem: &[u8],
    key_pem: &[u8],
    cert_path: &Path,
    key_path: &Path,
) -> Result<Arc<ServerConfig>, IngestError> {
    let pem_err = |path: &Path, reason: String| IngestError::TlsPem { path: path.display().to_string(), reason };
    let certs: Vec<CertificateDer<'static>> = rustls_pemfile::certs(&mut BufReader::new(cert_pem))
        .collect::<Result<_, _>>()
        .map_err(|e| pem_err(cert_path, format!("not a PEM certificate chain: {e}")))?;
    if certs.is_empty() {
        return Err(pem_err(cert_path, "no CERTIFICATE block found".to_owned()));
    }
    let key: PrivateKeyDer<'static> = rustls_pemfile::private_key(&mut BufReader::new(key_pem))
        .map_err(|e| pem_err(key_path, format!("not a PEM private key: {e}")))?
        .ok_or_else(|| pem_err(key_path, "no PRIVATE KEY block found".to_owned()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| IngestError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| IngestError::Tls(format!("certificate and key do not fit together: {e}")))?;
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_rcgen_pair_and_rejects_bad_files() {
        let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = (dir.path().join("c.pem"), dir.path().join("k.pem"));
        std::fs::write(&cert, ck.cert.pem()).unwrap();
        std::fs::write(&key, ck.signing_key.serialize_pem()).unwrap();
        assert!(server_config(&cert, &key).is_ok());
        // Swapped: the key file has no certificate.
        let err = server_config(&key, &cert).unwrap_err().to_string();
        assert!(err.contains("no CERTIFICATE"), "{err}");
        let err = server_config(&dir.path().join("missing.pem"), &key).unwrap_err().to_string();
        assert!(err.contains("missing.pem"), "{err}");
    }
}
