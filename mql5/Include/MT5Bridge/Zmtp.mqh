//+------------------------------------------------------------------+
//| Zmtp.mqh: a ZMTP 3.0 DEALER over MQL5's own client sockets       |
//| No DLL: SocketCreate/SocketConnect/SocketSend/SocketRead/         |
//| SocketIsReadable speak to the brain's ZeroMQ ROUTER directly.    |
//| Greeting (64 bytes, NULL mechanism), READY with Socket-Type      |
//| DEALER, then frames: flags byte, 1- or 8-byte length, body.      |
//+------------------------------------------------------------------+
#ifndef MT5BRIDGE_ZMTP_MQH
#define MT5BRIDGE_ZMTP_MQH

#define ZMTP_FLAG_MORE    0x01
#define ZMTP_FLAG_LONG    0x02
#define ZMTP_FLAG_COMMAND 0x04

#define BRIDGE_SEND_TIMEOUT_MS 2000   // a send that cannot complete in this long ends the session

class CZmtpClient
  {
private:
   int               m_socket;
   bool              m_ready;
   uchar             m_in[];
   int               m_inlen;
   string            m_error;

   //--- "what failed (error N)"; the terminal's error code says why
   string            Failed(const string what) const
     {
      return(what + " (error " + IntegerToString(GetLastError()) + ")");
     }

   //--- a read returned -1: a timeout (nothing came) or a broken connection; only the latter
   //--- ends the session
   bool              Broken(void) const
     {
      return(GetLastError() == ERR_NETSOCKET_IO_ERROR || !SocketIsConnected(m_socket));
     }

   bool              SendBytes(const uchar &bytes[], const int len)
     {
      ResetLastError();
      int sent = SocketSend(m_socket, bytes, (uint)len);
      if(sent != len)
        {
         m_error = Failed("send to the brain failed or timed out after " + IntegerToString(BRIDGE_SEND_TIMEOUT_MS) +
                          " ms");
         Close();
         return(false);
        }
      return(true);
     }

   //--- read exactly len bytes (blocking up to timeout_ms); used by the handshake only
   bool              ReadExact(uchar &out[], const int len, const uint timeout_ms)
     {
      ArrayResize(out, len);
      int got = 0;
      ulong deadline = GetMicrosecondCount() + (ulong)timeout_ms * 1000;
      while(got < len)
        {
         if(GetMicrosecondCount() > deadline)
           {
            m_error = "handshake timed out";
            return(false);
           }
         uchar chunk[];
         ResetLastError();
         int n = SocketRead(m_socket, chunk, (uint)(len - got), 100);
         if(n < 0 && Broken())
           {
            m_error = Failed("connection closed during the handshake");
            return(false);
           }
         if(n < 0)
            continue;   // nothing within 100 ms: wait on until the deadline
         for(int i = 0; i < n; i++)
            out[got + i] = chunk[i];
         got += n;
        }
      return(true);
     }

   //--- one frame header + body already in m_in: returns body length or -1 when incomplete
   int               FrameAt(const int pos, int &header, uchar &flags)
     {
      if(m_inlen - pos < 2)
         return(-1);
      flags = m_in[pos];
      if((flags & ZMTP_FLAG_LONG) != 0)
        {
         if(m_inlen - pos < 9)
            return(-1);
         ulong size = 0;
         for(int i = 1; i <= 8; i++)
            size = (size << 8) | m_in[pos + i];
         header = 9;
         if(size > 16777216)
            return(-2);
         if((ulong)(m_inlen - pos - 9) < size)
            return(-1);
         return((int)size);
        }
      header = 2;
      int len = m_in[pos + 1];
      if(m_inlen - pos - 2 < len)
         return(-1);
      return(len);
     }

public:
                     CZmtpClient(void) : m_socket(INVALID_HANDLE), m_ready(false), m_inlen(0), m_error("") {}
                    ~CZmtpClient(void) { Close(); }

   string            LastError(void) const { return(m_error); }
   bool              IsReady(void) const { return(m_ready); }

   bool              Connect(const string host, const uint port, const uint timeout_ms)
     {
      Close();
      ResetLastError();
      m_socket = SocketCreate(0);
      if(m_socket == INVALID_HANDLE)
        {
         m_error = Failed("SocketCreate failed (too many sockets open, or not called from an EA)");
         return(false);
        }
      ResetLastError();
      if(!SocketConnect(m_socket, host, port, timeout_ms))
        {
         m_error = Failed("cannot connect to " + host + ":" + IntegerToString(port)) +
                   ": is the brain running there, and is " + host +
                   " in Tools > Options > Expert Advisors > 'Allow WebRequest for listed URL'?";
         Close();
         return(false);
        }
      //--- a brain that stops reading must not block the terminal in SocketSend
      SocketTimeouts(m_socket, BRIDGE_SEND_TIMEOUT_MS, 0);
      uchar greeting[];
      ArrayResize(greeting, 64);
      ArrayInitialize(greeting, (uchar)0);
      greeting[0] = 0xFF;
      greeting[9] = 0x7F;
      greeting[10] = 3;
      greeting[11] = 0;
      greeting[12] = 'N';
      greeting[13] = 'U';
      greeting[14] = 'L';
      greeting[15] = 'L';
      if(!SendBytes(greeting, 64))
         return(false);
      uchar peer[];
      if(!ReadExact(peer, 64, timeout_ms))
        {
         Close();
         return(false);
        }
      if(peer[0] != 0xFF || peer[9] != 0x7F || peer[10] < 3)
        {
         m_error = "the peer does not speak ZMTP 3";
         Close();
         return(false);
        }
      //--- READY: 0x05 "READY", property "Socket-Type" = "DEALER"
      string name = "Socket-Type";
      string value = "DEALER";
      uchar body[];
      ArrayResize(body, 0);
      int n = 0;
      ArrayResize(body, 6 + 1 + StringLen(name) + 4 + StringLen(value));
      body[n++] = 5;
      uchar tmp[];
      StringToCharArray("READY", tmp, 0, 5);
      for(int i = 0; i < 5; i++)
         body[n++] = tmp[i];
      body[n++] = (uchar)StringLen(name);
      StringToCharArray(name, tmp, 0, StringLen(name));
      for(int i = 0; i < StringLen(name); i++)
         body[n++] = tmp[i];
      body[n++] = 0;
      body[n++] = 0;
      body[n++] = 0;
      body[n++] = (uchar)StringLen(value);
      StringToCharArray(value, tmp, 0, StringLen(value));
      for(int i = 0; i < StringLen(value); i++)
         body[n++] = tmp[i];
      uchar frame[];
      ArrayResize(frame, n + 2);
      frame[0] = ZMTP_FLAG_COMMAND;
      frame[1] = (uchar)n;
      for(int i = 0; i < n; i++)
         frame[2 + i] = body[i];
      if(!SendBytes(frame, n + 2))
         return(false);
      //--- the peer's READY
      uchar head[];
      if(!ReadExact(head, 2, timeout_ms))
        {
         Close();
         return(false);
        }
      if((head[0] & ZMTP_FLAG_COMMAND) == 0 || (head[0] & ZMTP_FLAG_LONG) != 0)
        {
         m_error = "expected the peer's READY command";
         Close();
         return(false);
        }
      uchar rest[];
      if(head[1] > 0 && !ReadExact(rest, head[1], timeout_ms))
        {
         Close();
         return(false);
        }
      m_inlen = 0;
      ArrayResize(m_in, 0);
      m_ready = true;
      m_error = "";
      return(true);
     }

   void              Close(void)
     {
      if(m_socket != INVALID_HANDLE)
         SocketClose(m_socket);
      m_socket = INVALID_HANDLE;
      m_ready = false;
      m_inlen = 0;
     }

   //--- send one single-part message
   bool              Send(const string text)
     {
      if(!m_ready)
         return(false);
      uchar body[];
      int len = StringToCharArray(text, body, 0, StringLen(text), CP_UTF8);   // the brain's text is UTF-8
      int header = len > 255 ? 9 : 2;
      uchar frame[];
      ArrayResize(frame, header + len);
      if(len > 255)
        {
         frame[0] = ZMTP_FLAG_LONG;
         for(int i = 0; i < 8; i++)
            frame[1 + i] = (uchar)((((ulong)len) >> (8 * (7 - i))) & 0xFF);
        }
      else
        {
         frame[0] = 0;
         frame[1] = (uchar)len;
        }
      for(int i = 0; i < len; i++)
         frame[header + i] = body[i];
      return(SendBytes(frame, header + len));
     }

   //--- read what the socket holds (never blocks); appends complete messages; returns how many
   int               Receive(string &messages[])
     {
      int count = 0;
      if(!m_ready)
         return(0);
      ResetLastError();
      uint avail = SocketIsReadable(m_socket);   // may be 1 with nothing there (speculative)
      if(avail == 0 && GetLastError() == ERR_NETSOCKET_IO_ERROR)
        {
         m_error = Failed("connection to the brain lost");
         Close();
         return(0);
        }
      if(avail > 0)
        {
         uchar chunk[];
         ResetLastError();
         int n = SocketRead(m_socket, chunk, avail, 1);
         if(n < 0 && Broken())
           {
            m_error = Failed("connection to the brain lost");
            Close();
            return(0);
           }
         if(n < 0)
            n = 0;   // a timeout: the readable byte was speculative
         ArrayResize(m_in, m_inlen + n);
         for(int i = 0; i < n; i++)
            m_in[m_inlen + i] = chunk[i];
         m_inlen += n;
        }
      int pos = 0;
      while(true)
        {
         int header = 0;
         uchar flags = 0;
         int len = FrameAt(pos, header, flags);
         if(len == -2)
           {
            m_error = "frame too large";
            Close();
            return(count);
           }
         if(len < 0)
            break;
         if((flags & ZMTP_FLAG_COMMAND) == 0)
           {
            int slot = ArraySize(messages);
            ArrayResize(messages, slot + 1);
            messages[slot] = CharArrayToString(m_in, pos + header, len, CP_UTF8);
            count++;
           }
         pos += header + len;
        }
      if(pos > 0)
        {
         for(int i = pos; i < m_inlen; i++)
            m_in[i - pos] = m_in[i];
         m_inlen -= pos;
         ArrayResize(m_in, m_inlen);
        }
      return(count);
     }
  };

#endif
