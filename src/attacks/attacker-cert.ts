/**
 * The attacker's certificate for `x5u-injection` (RFC 7515 §4.1.5): a
 * self-signed P-256 certificate and its key, checked in because Node 20
 * cannot make certificates. Generated once with
 * `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 36500
 * -subj "/CN=oauth-gameday attacker (test fixture)"`. It protects nothing:
 * a resource server that trusts it has already lost.
 */

/** PEM certificate served at the attacker's x5u URL. */
export const ATTACKER_CERT_PEM = `-----BEGIN CERTIFICATE-----
MIIBtjCCAV2gAwIBAgIUDUyQ8sHvDExGZF9Mt60Y6ilM+kEwCgYIKoZIzj0EAwIw
MDEuMCwGA1UEAwwlb2F1dGgtZ2FtZWRheSBhdHRhY2tlciAodGVzdCBmaXh0dXJl
KTAgFw0yNjEyMDQwMTAxMDdaGA8yMTI2MTExMDAxMDEwN1owMDEuMCwGA1UEAwwl
b2F1dGgtZ2FtZWRheSBhdHRhY2tlciAodGVzdCBmaXh0dXJlKTBZMBMGByqGSM49
AgEGCCqGSM49AwEHA0IABNZ3Q5+xqieFe8sWEDPYVbapHOmEH5JxUjOS0OUCChVE
3cygtFQlvVx719SHgI1v7YBzPy11KaEp4XRkoQXwcQ+jUzBRMB0GA1UdDgQWBBSQ
XdadCcV3JXNAacaKlLd/VYqX+zAfBgNVHSMEGDAWgBSQXdadCcV3JXNAacaKlLd/
VYqX+zAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0cAMEQCIEtr1ieI0QYc
6lKUqRIIEZGTs9amFNOFi+JKN3xGuZwaAiBPeen3pI4HOZA0mZgiWOof+5Durwav
kerOUTlriq3w6A==
-----END CERTIFICATE-----
`

/** PKCS#8 private key of {@link ATTACKER_CERT_PEM} (a public test fixture, not a secret). */
export const ATTACKER_CERT_KEY_PEM = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgraA7X5G+5hg3pRVI
5lYMvJvMzue2GJHPmeIkGbIJZZChRANCAATWd0OfsaonhXvLFhAz2FW2qRzphB+S
cVIzktDlAgoVRN3MoLRUJb1ce9fUh4CNb+2Acz8tdSmhKeF0ZKEF8HEP
-----END PRIVATE KEY-----
`
