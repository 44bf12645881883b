//! The `wss://` listener: TLS (1.2 and 1.3, via rustls) in front of the same router, for the
//! Server SDKs that always speak TLS (C++, Unreal) or prefer it (C#).
//!
//! The certificate is generated at start (self-signed, for `localhost`, `127.0.0.1` and `::1`)
//! unless `--tls-cert`/`--tls-key` bring one. The generated certificate is served at
//! `GET /_emulator/tls-certificate` so clients that verify certificates (the Go SDK) can trust it
//! (`SSL_CERT_FILE`).

use std::future::Future;
use std::path::Path;
use std::sync::Arc;

use axum::Router;
use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// A certificate chain and key, plus the PEM text of the leaf certificate.
pub struct Identity {
    /// PEM of the certificate chain (what clients may add to their trust store).
    pub cert_pem: String,
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl Identity {
    /// A fresh self-signed certificate for the loopback names.
    pub fn self_signed() -> Result<Self, String> {
        let names = vec!["localhost".to_string(), "127.0.0.1".to_string(), "::1".to_string()];
        let certified = rcgen::generate_simple_self_signed(names)
            .map_err(|e| format!("cannot generate a certificate: {e}"))?;
        let cert_pem = certified.cert.pem();
        let key = PrivateKeyDer::try_from(certified.signing_key.serialize_der())
            .map_err(|e| format!("cannot use the generated key: {e}"))?;
        Ok(Self { cert_pem, chain: vec![certified.cert.der().clone()], key })
    }

    /// A certificate chain and private key from PEM files.
    pub fn from_files(cert: &Path, key: &Path) -> Result<Self, String> {
        let cert_pem = std::fs::read_to_string(cert).map_err(|e| format!("{}: {e}", cert.display()))?;
        let chain = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("{}: not a PEM certificate chain: {e}", cert.display()))?;
        if chain.is_empty() {
            return Err(format!("{}: no certificate found", cert.display()));
        }
        let key = PrivateKeyDer::from_pem_file(key)
            .map_err(|e| format!("{}: not a PEM private key: {e}", key.display()))?;
        Ok(Self { cert_pem, chain, key })
    }

    /// A rustls acceptor offering TLS 1.2 and 1.3.
    pub fn acceptor(&self) -> Result<TlsAcceptor, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS12, &rustls::version::TLS13])
            .map_err(|e| format!("TLS configuration: {e}"))?
            .with_no_client_auth()
            .with_single_cert(self.chain.clone(), self.key.clone_key())
            .map_err(|e| format!("TLS certificate: {e}"))?;
        Ok(TlsAcceptor::from(Arc::new(config)))
    }
}

/// Serves `app` over TLS on `listener` until `shutdown` resolves: the same accept loop, timeouts
/// and WebSocket upgrades as the plain listener ([`crate::serve`]), behind a TLS handshake.
pub async fn serve(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    app: Router,
    timeouts: crate::serve::Timeouts,
    shutdown: impl Future<Output = ()>,
) {
    let handshake = move |tcp: tokio::net::TcpStream| {
        let acceptor = acceptor.clone();
        async move {
            let peer = tcp.peer_addr().ok();
            match acceptor.accept(tcp).await {
                Ok(tls) => Some(tls),
                Err(e) => {
                    tracing::debug!(?peer, "TLS handshake failed: {e}");
                    None
                }
            }
        }
    };
    crate::serve::serve(listener, app, timeouts, handshake, shutdown).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_self_signed_identity_makes_an_acceptor() {
        let id = Identity::self_signed().unwrap();
        assert!(id.cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        id.acceptor().unwrap();
    }
}
