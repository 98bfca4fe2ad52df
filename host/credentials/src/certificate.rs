//! The certificates a C2PA signature needs, made from the registry's
//! ed25519 key: an issuer derived from the key (the same key always gives
//! the same issuer certificate, so it can be given to validators once as a
//! trust anchor) and a signing certificate for the key itself, valid for a
//! day either side of now.
//!
//! C2PA refuses self-signed signing certificates, hence two.

use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, PKCS_ED25519, SerialNumber,
};
use sha2::{Digest, Sha256};

use crate::CredentialsError;

/// A signing certificate and the issuer's, as PEM, with the private key.
pub struct Chain {
    /// The signing certificate, then the issuer's.
    pub certificates_pem: String,
    pub private_key_pem: String,
}

/// How long a signing certificate made for one run stays valid either
/// side of now (clocks differ between machines).
const SIGNING_VALIDITY_DAYS: i64 = 1;

fn bad(what: &str, e: impl std::fmt::Display) -> CredentialsError {
    CredentialsError::Certificate(format!("{what}: {e}"))
}

fn key_pair(key: &SigningKey) -> Result<KeyPair, CredentialsError> {
    let der = key.to_pkcs8_der().map_err(|e| bad("the key", e))?;
    KeyPair::from_pkcs8_der_and_sign_algo(&der.as_bytes().into(), &PKCS_ED25519)
        .map_err(|e| bad("the key", e))
}

/// The issuer's own key: derived from the registry key, never stored.
fn issuer_key(key: &SigningKey) -> SigningKey {
    let seed = Sha256::new()
        .chain_update(b"reel-c2pa-issuer")
        .chain_update(key.to_bytes())
        .finalize();
    SigningKey::from_bytes(&seed.into())
}

fn name(common: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common);
    dn.push(DnType::OrganizationName, "Reel asset registry");
    dn
}

/// The issuer's certificate parameters: fixed, so that the certificate is
/// the same bytes every time (ed25519 signatures are deterministic).
fn issuer_params(key: &SigningKey) -> CertificateParams {
    let public = key.verifying_key().to_bytes();
    let mut params = CertificateParams::default();
    params.distinguished_name = name(&format!(
        "Reel registry issuer {}",
        crate::hex(&public[..8])
    ));
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.not_before = rcgen::date_time_ymd(2026, 1, 1);
    params.not_after = rcgen::date_time_ymd(2046, 1, 1);
    params.serial_number = Some(serial(&public));
    params
}

/// The issuer's certificate for `key`'s registry, as PEM: what a validator
/// adds to its trust anchors to trust this registry's outputs.
pub fn issuer_pem(key: &SigningKey) -> Result<String, CredentialsError> {
    let issuer = issuer_key(key);
    let cert = issuer_params(&issuer)
        .self_signed(&key_pair(&issuer)?)
        .map_err(|e| bad("the issuer certificate", e))?;
    Ok(cert.pem())
}

/// A signing certificate for `key`, naming `owner`, issued by the
/// registry's issuer.
pub fn chain(key: &SigningKey, owner: &str) -> Result<Chain, CredentialsError> {
    let issuer = issuer_key(key);
    let signer = key_pair(key)?;
    let mut params = CertificateParams::default();
    params.distinguished_name = name(owner);
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::EmailProtection];
    params.use_authority_key_identifier_extension = true;
    let now = time_now();
    params.not_before = now - time::Duration::days(SIGNING_VALIDITY_DAYS);
    params.not_after = now + time::Duration::days(SIGNING_VALIDITY_DAYS);
    params.serial_number = Some(serial(&Sha256::digest(
        now.unix_timestamp_nanos().to_be_bytes(),
    )));
    let issuer_pair = key_pair(&issuer)?;
    let issuer_pem = issuer_pem(key)?;
    let cert = params
        .signed_by(&signer, &Issuer::new(issuer_params(&issuer), issuer_pair))
        .map_err(|e| bad("the signing certificate", e))?;
    Ok(Chain {
        certificates_pem: format!("{}{issuer_pem}", cert.pem()),
        private_key_pem: signer.serialize_pem(),
    })
}

/// A positive 16-byte serial number from the first bytes of `bytes`.
fn serial(bytes: &[u8]) -> SerialNumber {
    let mut serial = [0u8; 16];
    serial.copy_from_slice(&bytes[..16]);
    serial[0] &= 0x7f;
    SerialNumber::from_slice(&serial)
}

fn time_now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

/// The ed25519 public key of the first certificate in a PEM chain (the
/// signer's), if it is one.
pub fn signer_public_key(chain_pem: &str) -> Option<[u8; 32]> {
    let first = pem::parse_many(chain_pem).ok()?.into_iter().next()?;
    let (_, cert) = x509_parser::parse_x509_certificate(first.contents()).ok()?;
    let spki = cert.public_key();
    // 1.3.101.112 is Ed25519.
    if spki.algorithm.algorithm.to_id_string() != "1.3.101.112" {
        return None;
    }
    spki.subject_public_key.data.as_ref().try_into().ok()
}
