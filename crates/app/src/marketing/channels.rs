//! The channel adapters that deliver marketing messages: real SMTP for e-mail, an HTTP webhook
//! (the gateway of an SMS, app-push or WeChat provider), and a log file. Each message carries
//! its id as the idempotency key (`Message-ID`, `Idempotency-Key`, the log line's `id`), so a
//! receiver can recognise the rare resend after a sender died between handing a message over
//! and recording it.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use retail_store::OutgoingMessage;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Why a delivery failed, and whether trying again can help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    /// A refusal that will not change (a 5xx reply, a malformed address): no retry.
    pub permanent: bool,
    pub message: String,
}

impl SendError {
    fn transient(message: impl Into<String>) -> Self {
        SendError { permanent: false, message: message.into() }
    }

    fn permanent(message: impl Into<String>) -> Self {
        SendError { permanent: true, message: message.into() }
    }
}

/// Hands messages to one channel.
#[async_trait]
pub trait ChannelAdapter: Send + Sync {
    /// The adapter's name as shown in delivery reports.
    fn name(&self) -> &'static str;

    /// Delivers a batch; one result per message, in order.
    async fn send(&self, messages: &[OutgoingMessage], unsubscribe_base: &str) -> Vec<Result<(), SendError>>;
}

/// The unsubscribe link of a message.
pub fn unsubscribe_url(base: &str, message: &OutgoingMessage) -> String {
    format!("{}/unsubscribe/{}", base.trim_end_matches('/'), message.unsubscribe_token)
}

const IO_TIMEOUT: Duration = Duration::from_secs(30);

async fn timed<T>(what: &str, f: impl Future<Output = std::io::Result<T>>) -> Result<T, SendError> {
    match tokio::time::timeout(IO_TIMEOUT, f).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(SendError::transient(format!("{what}: {e}"))),
        Err(_) => Err(SendError::transient(format!("{what}: no answer in {} s", IO_TIMEOUT.as_secs()))),
    }
}

/// Appends one JSON line per message to a file: for development, audits, and systems that
/// collect messages from a file.
pub struct LogAdapter {
    path: PathBuf,
}

impl LogAdapter {
    pub fn new(path: PathBuf) -> Self {
        LogAdapter { path }
    }
}

#[async_trait]
impl ChannelAdapter for LogAdapter {
    fn name(&self) -> &'static str {
        "log"
    }

    async fn send(&self, messages: &[OutgoingMessage], unsubscribe_base: &str) -> Vec<Result<(), SendError>> {
        let mut lines = Vec::with_capacity(messages.len() * 256);
        for m in messages {
            let line = serde_json::json!({
                "id": m.message_id, "campaign": m.campaign_id, "customer": m.customer_id, "channel": m.channel,
                "to": m.address, "language": m.language, "subject": m.subject, "body": m.body,
                "unsubscribe": unsubscribe_url(unsubscribe_base, m),
            });
            // Serialising a json! value cannot fail.
            serde_json::to_writer(&mut lines, &line).expect("a JSON value serialises");
            lines.push(b'\n');
        }
        let path = self.path.clone();
        let written = tokio::task::spawn_blocking(move || {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let mut file = std::fs::OpenOptions::new().create(true).append(true).open(&path)?;
            file.write_all(&lines)?;
            file.flush()
        })
        .await;
        let outcome = match written {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(SendError::transient(format!("writing {}: {e}", self.path.display()))),
            Err(e) => Err(SendError::transient(format!("log writer: {e}"))),
        };
        vec![outcome; messages.len()]
    }
}

/// Posts each message as JSON to an `http://` endpoint (a provider's gateway or a relay in
/// front of one), with the message id as `Idempotency-Key`. 2xx is delivered, 4xx other than
/// 408/429 is a permanent refusal, anything else is tried again.
pub struct WebhookAdapter {
    host: String,
    port: u16,
    path: String,
}

impl WebhookAdapter {
    /// Parses `http://host[:port][/path]`.
    pub fn new(url: &str) -> Result<Self, String> {
        let rest = url.strip_prefix("http://").ok_or_else(|| {
            format!("webhook URL {url:?} must start with http:// (put a TLS relay in front for https)")
        })?;
        let (authority, path) = rest.split_once('/').map_or((rest, "/".to_string()), |(a, p)| (a, format!("/{p}")));
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => (h, p.parse::<u16>().map_err(|_| format!("webhook URL {url:?} has a bad port"))?),
            None => (authority, 80),
        };
        if host.is_empty() {
            return Err(format!("webhook URL {url:?} names no host"));
        }
        Ok(WebhookAdapter { host: host.to_string(), port, path })
    }

    async fn post(&self, body: &[u8], idempotency_key: &str) -> Result<(), SendError> {
        let mut stream = timed("webhook connect", TcpStream::connect((self.host.as_str(), self.port))).await?;
        let head = format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
             Idempotency-Key: {idempotency_key}\r\nConnection: close\r\n\r\n",
            self.path,
            self.host,
            body.len()
        );
        timed("webhook write", async {
            stream.write_all(head.as_bytes()).await?;
            stream.write_all(body).await?;
            stream.flush().await
        })
        .await?;
        let mut response = Vec::new();
        timed("webhook read", stream.read_to_end(&mut response)).await?;
        let status_line = response.split(|b| *b == b'\n').next().unwrap_or_default();
        let status = String::from_utf8_lossy(status_line)
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse::<u16>().ok())
            .ok_or_else(|| SendError::transient("webhook answered without an HTTP status"))?;
        match status {
            200..=299 => Ok(()),
            408 | 429 => Err(SendError::transient(format!("webhook answered {status}"))),
            400..=499 => Err(SendError::permanent(format!("webhook refused the message with {status}"))),
            _ => Err(SendError::transient(format!("webhook answered {status}"))),
        }
    }
}

#[async_trait]
impl ChannelAdapter for WebhookAdapter {
    fn name(&self) -> &'static str {
        "webhook"
    }

    async fn send(&self, messages: &[OutgoingMessage], unsubscribe_base: &str) -> Vec<Result<(), SendError>> {
        let mut results = Vec::with_capacity(messages.len());
        for m in messages {
            let body = serde_json::json!({
                "id": m.message_id, "channel": m.channel, "to": m.address, "language": m.language,
                "subject": m.subject, "body": m.body, "unsubscribe": unsubscribe_url(unsubscribe_base, m),
            });
            results.push(self.post(body.to_string().as_bytes(), &m.message_id).await);
        }
        results
    }
}

/// Speaks SMTP (RFC 5321) to a relay: one connection per batch, `RSET` between messages, the
/// body base64-encoded UTF-8 with an RFC 8058 one-click unsubscribe header. TLS and
/// authentication are left to the relay (a local MTA or the provider's submission relay).
pub struct SmtpAdapter {
    address: String,
    sender: String,
    hello: String,
}

impl SmtpAdapter {
    /// `address` is `host:port`; `sender` an address such as `Retail <noreply@shop.example>`.
    pub fn new(address: &str, sender: &str) -> Result<Self, String> {
        if address.rsplit_once(':').is_none_or(|(host, port)| host.is_empty() || port.parse::<u16>().is_err()) {
            return Err(format!("SMTP server {address:?} must be host:port"));
        }
        if mailbox(sender).is_none() {
            return Err(format!("sender {sender:?} is not an e-mail address"));
        }
        Ok(SmtpAdapter { address: address.to_string(), sender: sender.to_string(), hello: "retail.local".into() })
    }
}

/// The bare address of `Name <a@b>` or `a@b`, when it looks like one.
fn mailbox(text: &str) -> Option<&str> {
    // A line break would let an address smuggle SMTP commands or headers.
    if text.chars().any(char::is_control) {
        return None;
    }
    let address = match (text.find('<'), text.rfind('>')) {
        (Some(open), Some(close)) if open < close => &text[open + 1..close],
        _ => text.trim(),
    };
    let (local, domain) = address.split_once('@')?;
    let clean = |s: &str| !s.is_empty() && !s.chars().any(|c| c.is_whitespace() || c.is_control() || "<>".contains(c));
    (clean(local) && clean(domain) && domain.contains('.')).then_some(address)
}

/// One SMTP connection.
struct SmtpSession {
    reader: BufReader<TcpStream>,
}

impl SmtpSession {
    /// Reads a (possibly multi-line) reply; its code.
    async fn reply(&mut self) -> Result<(u16, String), SendError> {
        let mut text = String::new();
        loop {
            let mut line = String::new();
            let n = timed("SMTP read", self.reader.read_line(&mut line)).await?;
            if n == 0 {
                return Err(SendError::transient("the SMTP server closed the connection"));
            }
            text.push_str(line.trim_end());
            // "250-..." continues, "250 ..." ends the reply.
            if line.as_bytes().get(3) != Some(&b'-') {
                let code = line.get(..3).and_then(|c| c.parse().ok()).unwrap_or(0);
                return Ok((code, text));
            }
            text.push(' ');
        }
    }

    async fn command(&mut self, line: &str, expected: u16) -> Result<(), SendError> {
        timed("SMTP write", self.reader.get_mut().write_all(format!("{line}\r\n").as_bytes())).await?;
        self.expect(expected).await
    }

    async fn expect(&mut self, expected: u16) -> Result<(), SendError> {
        let (code, text) = self.reply().await?;
        match code {
            c if c / 100 == expected / 100 => Ok(()),
            500..=599 => Err(SendError::permanent(format!("SMTP: {text}"))),
            _ => Err(SendError::transient(format!("SMTP: {text}"))),
        }
    }
}

impl SmtpAdapter {
    async fn open(&self) -> Result<SmtpSession, SendError> {
        let stream = timed("SMTP connect", TcpStream::connect(self.address.as_str())).await?;
        let mut session = SmtpSession { reader: BufReader::new(stream) };
        session.expect(220).await?;
        session.command(&format!("EHLO {}", self.hello), 250).await?;
        Ok(session)
    }

    async fn deliver(
        &self,
        session: &mut SmtpSession,
        m: &OutgoingMessage,
        unsubscribe_base: &str,
    ) -> Result<(), SendError> {
        let to = mailbox(&m.address)
            .ok_or_else(|| SendError::permanent(format!("{:?} is not an e-mail address", m.address)))?;
        let from = mailbox(&self.sender).expect("checked when the adapter was made");
        session.command(&format!("MAIL FROM:<{from}>"), 250).await?;
        session.command(&format!("RCPT TO:<{to}>"), 250).await?;
        session.command("DATA", 354).await?;
        let data = email_data(&self.sender, to, m, &unsubscribe_url(unsubscribe_base, m));
        timed("SMTP write", session.reader.get_mut().write_all(data.as_bytes())).await?;
        session.expect(250).await
    }
}

/// The message as RFC 5322 text with base64 parts (so any UTF-8 passes 7-bit relays), ending
/// with the `.` line that closes DATA.
fn email_data(sender: &str, to: &str, m: &OutgoingMessage, unsubscribe: &str) -> String {
    let subject = format!("=?UTF-8?B?{}?=", BASE64.encode(m.subject.as_bytes()));
    let body = BASE64.encode(m.body.as_bytes());
    let mut out = format!(
        "From: {sender}\r\nTo: <{to}>\r\nSubject: {subject}\r\nMessage-ID: <{}@retail>\r\n\
         Date: {}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Transfer-Encoding: base64\r\nList-Unsubscribe: <{unsubscribe}>\r\n\
         List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n\r\n",
        m.message_id.replace([':', '<', '>', ' '], "."),
        chrono::Utc::now().to_rfc2822(),
    );
    for chunk in body.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(chunk).expect("base64 is ASCII"));
        out.push_str("\r\n");
    }
    out.push_str(".\r\n");
    out
}

#[async_trait]
impl ChannelAdapter for SmtpAdapter {
    fn name(&self) -> &'static str {
        "smtp"
    }

    async fn send(&self, messages: &[OutgoingMessage], unsubscribe_base: &str) -> Vec<Result<(), SendError>> {
        let mut results = Vec::with_capacity(messages.len());
        let mut session = None;
        for m in messages {
            if session.is_none() {
                match self.open().await {
                    Ok(s) => session = Some(s),
                    Err(e) => {
                        results.push(Err(e));
                        continue;
                    }
                }
            }
            let s = session.as_mut().expect("opened above");
            let outcome = self.deliver(s, m, unsubscribe_base).await;
            // After a refusal the transaction is reset; after a broken connection a new one is opened.
            let keep = match &outcome {
                Ok(()) => true,
                Err(e) if e.permanent => s.command("RSET", 250).await.is_ok(),
                Err(_) => false,
            };
            if !keep {
                session = None;
            }
            results.push(outcome);
        }
        if let Some(mut s) = session {
            // The messages are already accepted; a failed goodbye changes nothing.
            let _ = s.command("QUIT", 221).await;
        }
        results
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mailboxes_are_read_from_display_forms() {
        assert_eq!(mailbox("Retail <noreply@shop.example>"), Some("noreply@shop.example"));
        assert_eq!(mailbox("a@b.cn"), Some("a@b.cn"));
        for bad in ["", "nobody", "a@b", "a b@c.d", "<@c.d>", "a@b.c\r\nRCPT TO:<x@y.z>"] {
            assert_eq!(mailbox(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn webhook_urls_are_checked() {
        let w = WebhookAdapter::new("http://127.0.0.1:9000/hooks/sms").unwrap();
        assert_eq!((w.host.as_str(), w.port, w.path.as_str()), ("127.0.0.1", 9000, "/hooks/sms"));
        assert_eq!(WebhookAdapter::new("http://gateway").unwrap().port, 80);
        assert!(WebhookAdapter::new("https://gateway").is_err());
        assert!(WebhookAdapter::new("http://:80/x").is_err());
        assert!(WebhookAdapter::new("http://h:port/x").is_err());
    }

    #[test]
    fn email_text_is_seven_bit_and_ends_data() {
        let m = OutgoingMessage {
            message_id: "CMP-1:C1".into(),
            campaign_id: "CMP-1".into(),
            customer_id: "C1".into(),
            channel: "email".into(),
            address: "c1@example.com".into(),
            language: "zh-CN".into(),
            subject: "欢迎回来".into(),
            body: "您好\n.\n这是一行".into(),
            status: "sending".into(),
            attempts: 1,
            send_after_ms: 0,
            next_attempt_at_ms: 0,
            last_error: None,
            unsubscribe_token: "tok".into(),
            created_at_ms: 0,
            sent_at_ms: None,
        };
        let data = email_data("Retail <noreply@shop.example>", "c1@example.com", &m, "http://x/unsubscribe/tok");
        assert!(data.is_ascii(), "base64 keeps Chinese text 7-bit");
        assert!(data.ends_with("\r\n.\r\n"));
        assert_eq!(data.matches("\r\n.\r\n").count(), 1, "a lone dot in the body cannot end DATA early");
        assert!(data.contains("Message-ID: <CMP-1.C1@retail>"));
        assert!(data.contains("List-Unsubscribe: <http://x/unsubscribe/tok>"));
    }
}
