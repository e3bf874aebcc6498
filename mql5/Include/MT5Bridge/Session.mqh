//+------------------------------------------------------------------+
//| Session.mqh: one protocol session with the brain                 |
//| Handshake (HELLO, CHALLENGE, AUTH, WELCOME: both sides prove the |
//| shared secret over both nonces, the brain first), sequence       |
//| numbers both ways, heartbeats, silence detection, reconnect with |
//| backoff. Uses only the socket, string and time built-ins.        |
//+------------------------------------------------------------------+
#ifndef MT5BRIDGE_SESSION_MQH
#define MT5BRIDGE_SESSION_MQH

#include "Zmtp.mqh"
#include "Codec.mqh"
#include "Sha256.mqh"

//--- the brain's proof of the secret (in CHALLENGE) and the terminal's (AUTH): HMACs over both
//--- nonces, labelled so that neither can be reflected as the other (bridge/wire/auth.py)
string BridgeBrainProof(const string secret, const string terminal_nonce, const string brain_nonce)
  {
   return(HmacSha256Hex(secret, "mt5bridge-brain|" + terminal_nonce + "|" + brain_nonce));
  }

string BridgeTerminalProof(const string secret, const string brain_nonce, const string terminal_nonce)
  {
   return(HmacSha256Hex(secret, "mt5bridge-terminal|" + brain_nonce + "|" + terminal_nonce));
  }

#define BRIDGE_ERROR_REPLACED 5   // ERROR code: another EA of this terminal took the session over

class CBridgeSession
  {
private:
   CZmtpClient       m_zmtp;
   string            m_host;
   uint              m_port;
   string            m_secret;
   string            m_terminal_id;
   string            m_server;
   long              m_login;
   long              m_nonces;
   long              m_seq_out;
   long              m_seq_in;
   ulong             m_last_tx_us;
   ulong             m_last_rx_us;
   ulong             m_next_attempt_us;
   uint              m_backoff_ms;
   int               m_heartbeat_ms;
   long              m_gaps;
   long              m_bad;
   long              m_heartbeats;
   int               m_override_ms;
   string            m_error;
   bool              m_refused;
   string            m_pending[];   // frames read with the handshake's last one: Poll's first

   ulong             Now(void) const { return(GetMicrosecondCount()); }

   //--- a nonce never used before: MQL5 has no cryptographic generator, so the clocks, a
   //--- counter and MathRand are made unpredictable by an HMAC under the shared secret
   string            NewNonce(void)
     {
      m_nonces++;
      string seed = "mt5bridge-nonce|" + IntegerToString((long)GetMicrosecondCount()) + "|" +
                    IntegerToString((long)GetTickCount64()) + "|" + IntegerToString((long)TimeLocal()) + "|" +
                    IntegerToString(m_nonces) + "|" + IntegerToString(MathRand()) + "|" + m_terminal_id;
      return(StringSubstr(HmacSha256Hex(m_secret, seed), 0, 32));
     }

   //--- wait for one frame during the handshake
   bool              Expect(const string tag, BridgeCommand &cmd, const uint timeout_ms)
     {
      ulong deadline = Now() + (ulong)timeout_ms * 1000;
      while(Now() < deadline)
        {
         string msgs[];
         int got = m_zmtp.Receive(msgs);
         if(got > 0)
           {
            for(int k = 1; k < got; k++)   // what came in the same read is kept, never dropped
              {
               int slot = ArraySize(m_pending);
               ArrayResize(m_pending, slot + 1);
               m_pending[slot] = msgs[k];
              }
            string err = "";
            if(!BridgeDecode(msgs[0], cmd, err))
              {
               m_error = "handshake: " + err;
               return(false);
              }
            if(cmd.tag == "ERROR")
              {
               m_error = "the brain refused this terminal: " + cmd.text;
               m_refused = true;
               return(false);
              }
            if(cmd.tag != tag)
              {
               m_error = "handshake: expected " + tag + ", got " + cmd.tag;
               return(false);
              }
            m_seq_in = cmd.seq;
            return(true);
           }
         if(!m_zmtp.IsReady())
           {
            m_error = m_zmtp.LastError();
            return(false);
           }
         Sleep(1);
        }
      m_error = "handshake: no " + tag + " from the brain within " + IntegerToString(timeout_ms) + " ms";
      return(false);
     }

public:
                     CBridgeSession(void) : m_port(0), m_login(0), m_nonces(0), m_seq_out(0), m_seq_in(0), m_last_tx_us(0),
                     m_last_rx_us(0), m_next_attempt_us(0), m_backoff_ms(500), m_heartbeat_ms(1000), m_gaps(0),
                     m_bad(0), m_heartbeats(0), m_override_ms(0), m_error(""), m_refused(false) {}

   void              Configure(const string host, const uint port, const string secret, const string terminal_id,
                               const long login, const string server)
     {
      m_host = host;
      m_port = port;
      m_secret = secret;
      m_terminal_id = terminal_id;
      m_login = login;
      m_server = server;
     }

   bool              IsOpen(void) const { return(m_zmtp.IsReady()); }
   bool              Refused(void) const { return(m_refused); }
   string            LastError(void) const { return(m_error); }
   long              Gaps(void) const { return(m_gaps); }
   long              BadFrames(void) const { return(m_bad); }
   long              HeartbeatsReceived(void) const { return(m_heartbeats); }
   int               HeartbeatMs(void) const { return(m_heartbeat_ms); }
   //--- the EA's own heartbeat interval; 0 keeps the brain's (from WELCOME)
   void              SetHeartbeatOverride(const int ms) { m_override_ms = ms; }
   long              NextSeq(void) { m_seq_out++; return(m_seq_out); }

   //--- connect and authenticate; on failure the next try waits (backoff doubles up to 30 s)
   bool              Open(const uint timeout_ms)
     {
      if(Now() < m_next_attempt_us)
         return(false);
      m_refused = false;
      m_seq_out = 0;
      m_seq_in = 0;
      ArrayResize(m_pending, 0);
      bool ok = m_zmtp.Connect(m_host, m_port, timeout_ms);
      if(!ok)
         m_error = m_zmtp.LastError();
      BridgeCommand cmd;
      string nonce = NewNonce();
      if(ok)
         ok = Send(FrameHello(NextSeq(), m_terminal_id, m_login, 0, m_server, nonce)) &&
              Expect("CHALLENGE", cmd, timeout_ms);
      if(ok && StringSubstr(cmd.version, 0, 1) != StringSubstr(BRIDGE_PROTOCOL_VERSION, 0, 1))
        {
         m_error = "the brain speaks protocol " + cmd.version + ", this EA " + BRIDGE_PROTOCOL_VERSION;
         m_refused = true;
         ok = false;
        }
      //--- the peer must prove the secret for this nonce before any command is taken from it;
      //--- a failed proof is not final (an impostor may hold the port while the brain restarts)
      if(ok && !BridgeSameMac(BridgeBrainProof(m_secret, nonce, cmd.text), cmd.proof))
        {
         m_error = "the peer at the brain's address did not prove the shared secret: no command taken "
                   "(another process on the port, or another secret)";
         Send(FrameError(NextSeq(), 2, "the brain's proof failed: wrong shared secret on one side"));
         ok = false;
        }
      if(ok)
         ok = Send(FrameAuth(NextSeq(), BridgeTerminalProof(m_secret, cmd.text, nonce))) &&
              Expect("WELCOME", cmd, timeout_ms);
      if(!ok)
        {
         m_zmtp.Close();
         m_next_attempt_us = Now() + (ulong)m_backoff_ms * 1000;
         m_backoff_ms = (uint)MathMin(m_backoff_ms * 2, 30000);
         return(false);
        }
      m_heartbeat_ms = m_override_ms > 0 ? m_override_ms : ((int)cmd.number > 0 ? (int)cmd.number : 1000);
      m_backoff_ms = 500;
      m_last_rx_us = Now();
      m_error = "";
      return(true);
     }

   void              Close(void) { m_zmtp.Close(); }

   //--- send a frame built with NextSeq()
   bool              Send(const string frame)
     {
      if(!m_zmtp.Send(frame))
        {
         m_error = m_zmtp.LastError();
         return(false);
        }
      m_last_tx_us = Now();
      return(true);
     }

   //--- frames from the brain since the last call (heartbeats and READY consumed here)
   int               Poll(BridgeCommand &out[])
     {
      string msgs[];
      int n = m_zmtp.Receive(msgs);
      if(n > 0)
         m_last_rx_us = Now();
      int kept = ArraySize(m_pending);
      if(kept > 0)
        {
         string all[];
         ArrayResize(all, kept + n);
         for(int k = 0; k < kept; k++)
            all[k] = m_pending[k];
         for(int k = 0; k < n; k++)
            all[kept + k] = msgs[k];
         ArrayResize(m_pending, 0);
         n = kept + n;
         ArrayResize(msgs, n);
         for(int k = 0; k < n; k++)
            msgs[k] = all[k];
        }
      int count = 0;
      for(int i = 0; i < n; i++)
        {
         BridgeCommand cmd;
         string err = "";
         if(!BridgeDecode(msgs[i], cmd, err))
           {
            m_bad++;
            Print("MT5Bridge: bad frame from the brain: ", err);
            continue;
           }
         //--- an ERROR ends the session whatever its number: the brain no longer takes this
         //--- connection's frames (another EA of this terminal replaced it, or it was refused)
         if(cmd.tag == "ERROR")
           {
            m_error = "the brain ended the session: " + cmd.text + " (code " + IntegerToString(cmd.number) + ")";
            m_refused = cmd.number == BRIDGE_ERROR_REPLACED || cmd.number == 1 || cmd.number == 2;
            m_zmtp.Close();
            return(count);
           }
         if(cmd.seq <= m_seq_in)
            continue;                         // a duplicate
         if(cmd.seq != m_seq_in + 1)
            m_gaps++;
         m_seq_in = cmd.seq;
         if(cmd.tag == "HB")
           {
            m_heartbeats++;
            continue;
           }
         if(cmd.tag == "READY")
            continue;
         int slot = ArraySize(out);
         ArrayResize(out, slot + 1);
         out[slot] = cmd;
         count++;
        }
      return(count);
     }

   //--- a heartbeat when nothing was sent for a heartbeat interval
   void              Heartbeat(const long time_ms)
     {
      if(IsOpen() && Now() - m_last_tx_us >= (ulong)m_heartbeat_ms * 1000)
         Send(FrameHeartbeat(NextSeq(), time_ms));
     }

   //--- the brain has been silent for silence_ms: drop the connection (the caller reconnects)
   bool              CheckSilence(const int silence_ms)
     {
      if(IsOpen() && Now() - m_last_rx_us > (ulong)silence_ms * 1000)
        {
         //--- a slow OrderSend or CopyTicks may have kept the EA from reading: what waits in
         //--- the socket is the brain's sign of life, kept for the next Poll
         string msgs[];
         int got = m_zmtp.Receive(msgs);
         for(int k = 0; k < got; k++)
           {
            int slot = ArraySize(m_pending);
            ArrayResize(m_pending, slot + 1);
            m_pending[slot] = msgs[k];
           }
         if(got > 0)
           {
            m_last_rx_us = Now();
            return(false);
           }
         if(!IsOpen())
           {
            m_error = m_zmtp.LastError();
            return(true);
           }
         m_error = "the brain has been silent for " + IntegerToString(silence_ms) + " ms";
         m_zmtp.Close();
         return(true);
        }
      return(false);
     }
  };

#endif
