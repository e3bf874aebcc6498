//+------------------------------------------------------------------+
//| Sha256.mqh: SHA-256 and HMAC-SHA256 in plain MQL5                |
//| The EA answers the brain's CHALLENGE with                        |
//| hex(HMAC-SHA256(secret, nonce)); plain MQL5 (no CryptEncode) so  |
//| the same code runs in the Linux conformance build.               |
//+------------------------------------------------------------------+
#ifndef MT5BRIDGE_SHA256_MQH
#define MT5BRIDGE_SHA256_MQH

uint Sha256Rotr(const uint x, const int n)
  {
   return((x >> n) | (x << (32 - n)));
  }

//--- digest of the first len bytes of data into digest[32]
void Sha256(const uchar &data[], const int len, uchar &digest[])
  {
   const uint k[64] =
     {
      0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
      0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
      0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
      0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
      0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
      0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
      0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
      0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
     };
   uint h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
   int total = ((len + 9 + 63) / 64) * 64;
   uchar msg[];
   ArrayResize(msg, total);
   ArrayInitialize(msg, (uchar)0);
   for(int i = 0; i < len; i++)
      msg[i] = data[i];
   msg[len] = 0x80;
   ulong bits = (ulong)len * 8;
   for(int i = 0; i < 8; i++)
      msg[total - 1 - i] = (uchar)((bits >> (8 * i)) & 0xFF);
   uint w[64];
   for(int off = 0; off < total; off += 64)
     {
      for(int t = 0; t < 16; t++)
         w[t] = ((uint)msg[off + 4 * t] << 24) | ((uint)msg[off + 4 * t + 1] << 16) |
                ((uint)msg[off + 4 * t + 2] << 8) | (uint)msg[off + 4 * t + 3];
      for(int t = 16; t < 64; t++)
        {
         uint s0 = Sha256Rotr(w[t - 15], 7) ^ Sha256Rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
         uint s1 = Sha256Rotr(w[t - 2], 17) ^ Sha256Rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
         w[t] = w[t - 16] + s0 + w[t - 7] + s1;
        }
      uint a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
      for(int t = 0; t < 64; t++)
        {
         uint big1 = Sha256Rotr(e, 6) ^ Sha256Rotr(e, 11) ^ Sha256Rotr(e, 25);
         uint ch = (e & f) ^ ((~e) & g);
         uint t1 = hh + big1 + ch + k[t] + w[t];
         uint big0 = Sha256Rotr(a, 2) ^ Sha256Rotr(a, 13) ^ Sha256Rotr(a, 22);
         uint maj = (a & b) ^ (a & c) ^ (b & c);
         uint t2 = big0 + maj;
         hh = g;
         g = f;
         f = e;
         e = d + t1;
         d = c;
         c = b;
         b = a;
         a = t1 + t2;
        }
      h[0] += a;
      h[1] += b;
      h[2] += c;
      h[3] += d;
      h[4] += e;
      h[5] += f;
      h[6] += g;
      h[7] += hh;
     }
   ArrayResize(digest, 32);
   for(int i = 0; i < 8; i++)
     {
      digest[4 * i] = (uchar)((h[i] >> 24) & 0xFF);
      digest[4 * i + 1] = (uchar)((h[i] >> 16) & 0xFF);
      digest[4 * i + 2] = (uchar)((h[i] >> 8) & 0xFF);
      digest[4 * i + 3] = (uchar)(h[i] & 0xFF);
     }
  }

string BytesToHex(const uchar &bytes[], const int count)
  {
   string digits = "0123456789abcdef";
   string out = "";
   for(int i = 0; i < count; i++)
      out += StringSubstr(digits, bytes[i] >> 4, 1) + StringSubstr(digits, bytes[i] & 0x0F, 1);
   return(out);
  }

//--- two MACs equal, compared in a time that does not depend on where they differ
bool BridgeSameMac(const string a, const string b)
  {
   int n = StringLen(a);
   if(n != StringLen(b) || n == 0)
      return(false);
   int diff = 0;
   for(int i = 0; i < n; i++)
      diff |= (int)(StringGetCharacter(a, i) ^ StringGetCharacter(b, i));
   return(diff == 0);
  }

//--- hex(HMAC-SHA256(key, message)), both taken as UTF-8 (the brain's encoding of the secret)
string HmacSha256Hex(const string key, const string message)
  {
   uchar k[];
   uchar m[];
   int klen = StringToCharArray(key, k, 0, StringLen(key), CP_UTF8);   // as the brain: UTF-8
   int mlen = StringToCharArray(message, m, 0, StringLen(message), CP_UTF8);
   if(klen > 64)
     {
      uchar kd[];
      Sha256(k, klen, kd);
      ArrayResize(k, 32);
      for(int i = 0; i < 32; i++)
         k[i] = kd[i];
      klen = 32;
     }
   uchar inner[];
   ArrayResize(inner, 64 + mlen);
   uchar outer[];
   ArrayResize(outer, 64 + 32);
   for(int i = 0; i < 64; i++)
     {
      uchar kb = (uchar)(i < klen ? k[i] : 0);
      inner[i] = (uchar)(kb ^ 0x36);
      outer[i] = (uchar)(kb ^ 0x5c);
     }
   for(int i = 0; i < mlen; i++)
      inner[64 + i] = m[i];
   uchar ih[];
   Sha256(inner, 64 + mlen, ih);
   for(int i = 0; i < 32; i++)
      outer[64 + i] = ih[i];
   uchar mac[];
   Sha256(outer, 96, mac);
   return(BytesToHex(mac, 32));
  }

#endif
