// mql5_stubs.h -- declarations of the MQL5 language runtime for type-checking
// preprocessed MQL5 sources with  g++ -std=c++17 -fsyntax-only.
// Nothing here is ever executed or linked: only declarations matter.
//
// Conventions (must match what mql5check.py produces):
//   * MQL dynamic arrays / array parameters  T &a[]  become  T *a  (pointers),
//     so every built-in that takes an array takes  T*  or  const T*.
//   * string literals are wrapped by the preprocessor as  string("...").
//   * input/sinput become const; C'..' / D'..' literals become typed zeros.
#pragma once
#include <type_traits>   // only std:: names; included before our macros

//==================================================================== keywords
#define __MQL5__        1
#define __MQL__         1
#define __MQLBUILD__    4620
#define __MQL5BUILD__   4620
#define __PATH__        ""
#define export                      // 'int f() export {}'  -> plain function
#define interface struct            // MQL interfaces: all members public

//=================================================================== base types
typedef unsigned char      uchar;
typedef unsigned short     ushort;
typedef unsigned int       uint;
typedef unsigned long      ulong;     // LP64: long is 64-bit like MQL's long
typedef long               datetime;  // MQL datetime: seconds since 1970 (8 bytes)
typedef unsigned int       color;     // MQL color: 0x00BBGGRR

//========================================================================= NULL
struct _mql_null_t
  {
   template<class T> operator T *() const;     // NULL for object pointers
   operator long() const;                     // NULL as number
  };
static const _mql_null_t _mql_null{};
#undef NULL
#define NULL _mql_null

//======================================================================= string
template<class T> struct _mql_is_num
  { static const bool value = std::is_arithmetic<T>::value; };

class string
  {
public:
                     string();
                     string(const char *literal);
                     string(_mql_null_t);
   // explicit casts (string)x are fine in MQL ...
   explicit          string(bool);
   explicit          string(char);
   explicit          string(uchar);
   explicit          string(short);
   explicit          string(ushort);
   explicit          string(int);
   explicit          string(uint);
   explicit          string(long);
   explicit          string(ulong);
   explicit          string(float);
   explicit          string(double);
   // ... implicit number->string conversion is a MetaEditor *warning*
   template<class T, class = typename std::enable_if<_mql_is_num<T>::value>::type>
   [[deprecated("MQL: implicit conversion from 'number' to 'string'")]]
                     string(T);

   ushort            operator[](int index) const;     // MQL5: read-only character access
   string           &operator+=(const string &s);
   friend string     operator+(const string &a, const string &b);
   friend bool       operator==(const string &a, const string &b);
   friend bool       operator!=(const string &a, const string &b);
   friend bool       operator<(const string &a, const string &b);
   friend bool       operator>(const string &a, const string &b);
   friend bool       operator<=(const string &a, const string &b);
   friend bool       operator>=(const string &a, const string &b);
  };

//==================================================================== constants
#define CHAR_MIN      (-128)
#define CHAR_MAX      127
#define UCHAR_MAX     255
#define SHORT_MIN     (-32768)
#define SHORT_MAX     32767
#define USHORT_MAX    65535
#define INT_MIN       (-2147483647-1)
#define INT_MAX       2147483647
#define UINT_MAX      4294967295U
#define LONG_MIN      (-9223372036854775807L-1)
#define LONG_MAX      9223372036854775807L
#define ULONG_MAX     18446744073709551615UL
#define DBL_MAX       1.7976931348623158e+308
#define DBL_MIN       2.2250738585072014e-308
#define DBL_EPSILON   2.2204460492503131e-016
#define DBL_DIG       15
#define FLT_MAX       3.402823466e+38F
#define FLT_MIN       1.175494351e-38F
#define FLT_EPSILON   1.192092896e-07F
#define M_PI          3.14159265358979323846
#define M_PI_2        1.57079632679489661923
#define M_E           2.71828182845904523536
#define M_LN2         0.693147180559945309417
#define M_SQRT2       1.41421356237309504880
#define EMPTY_VALUE   DBL_MAX
#define EMPTY         (-1)
#define WHOLE_ARRAY   (-1)
#define WRONG_VALUE   (-1)
#define INVALID_HANDLE (-1)
#define CHARTS_MAX    100
#define CLR_NONE      ((color)0xFFFFFFFF)
#define clrNONE       ((color)0xFFFFFFFF)
#define CP_ACP        0
#define CP_OEMCP      1
#define CP_MACCP      2
#define CP_THREAD_ACP 3
#define CP_SYMBOL     42
#define CP_UTF7       65000
#define CP_UTF8       65001
#define TIME_DATE     1
#define TIME_MINUTES  2
#define TIME_SECONDS  4
#define REASON_PROGRAM     0
#define REASON_REMOVE      1
#define REASON_RECOMPILE   2
#define REASON_CHARTCHANGE 3
#define REASON_CHARTCLOSE  4
#define REASON_PARAMETERS  5
#define REASON_ACCOUNT     6
#define REASON_TEMPLATE    7
#define REASON_INITFAILED  8
#define REASON_CLOSE       9
#define FILE_READ          1
#define FILE_WRITE         2
#define FILE_BIN           4
#define FILE_CSV           8
#define FILE_TXT           16
#define FILE_ANSI          32
#define FILE_UNICODE       64
#define FILE_SHARE_READ    128
#define FILE_SHARE_WRITE   256
#define FILE_REWRITE       512
#define FILE_COMMON        4096
#define SYMBOL_FILLING_FOK 1
#define SYMBOL_EXPIRATION_GTC           1
#define SYMBOL_EXPIRATION_DAY           2
#define SYMBOL_EXPIRATION_SPECIFIED     4
#define SYMBOL_EXPIRATION_SPECIFIED_DAY 8
#define SYMBOL_FILLING_IOC 2
#define COPY_TICKS_INFO    1
#define COPY_TICKS_TRADE   2
#define COPY_TICKS_ALL     (-1)
#define MB_OK              0x00000000
#define MB_OKCANCEL        0x00000001
#define MB_YESNO           0x00000004
#define MB_ICONERROR       0x00000010
#define MB_ICONWARNING     0x00000030
#define IDOK               1
#define IDCANCEL           2
#define IDYES              6
#define IDNO               7

//---- runtime error codes (subset)
#define ERR_SUCCESS                    0
#define ERR_INTERNAL_ERROR             4001
#define ERR_WRONG_INTERNAL_PARAMETER   4002
#define ERR_INVALID_PARAMETER          4003
#define ERR_NOT_ENOUGH_MEMORY          4004
#define ERR_INVALID_ARRAY              4006
#define ERR_ARRAY_RESIZE_ERROR         4007
#define ERR_STRING_RESIZE_ERROR        4008
#define ERR_NOTINITIALIZED_STRING      4009
#define ERR_INVALID_DATETIME           4010
#define ERR_ARRAY_BAD_SIZE             4011
#define ERR_INVALID_POINTER            4012
#define ERR_INVALID_POINTER_TYPE       4013
#define ERR_FUNCTION_NOT_ALLOWED       4014
#define ERR_CHART_WRONG_ID             4101
#define ERR_OBJECT_ERROR               4201
#define ERR_OBJECT_NOT_FOUND           4202
#define ERR_MARKET_UNKNOWN_SYMBOL      4301
#define ERR_MARKET_NOT_SELECTED        4302
#define ERR_HISTORY_NOT_FOUND          4401
#define ERR_INDICATOR_DATA_NOT_FOUND   4806
#define ERR_INDICATOR_WRONG_HANDLE     4807
#define ERR_TRADE_POSITION_NOT_FOUND   4753
#define ERR_TRADE_ORDER_NOT_FOUND      4754
#define ERR_TRADE_DISABLED             4752
#define ERR_TRADE_SEND_FAILED          4756
#define ERR_FILE_NOT_EXIST             5019
#define ERR_FILE_CANNOT_OPEN           5004
#define ERR_WEBREQUEST_INVALID_ADDRESS 5200
#define ERR_WEBREQUEST_TIMEOUT         5203
#define ERR_NETSOCKET_INVALIDHANDLE    5270
#define ERR_NETSOCKET_TOO_MANY_OPENED  5271
#define ERR_NETSOCKET_CANNOT_CONNECT   5272
#define ERR_NETSOCKET_IO_ERROR         5273
#define ERR_USER_ERROR_FIRST           65536

//---- trade server return codes
#define TRADE_RETCODE_REQUOTE              10004
#define TRADE_RETCODE_REJECT               10006
#define TRADE_RETCODE_CANCEL               10007
#define TRADE_RETCODE_PLACED               10008
#define TRADE_RETCODE_DONE                 10009
#define TRADE_RETCODE_DONE_PARTIAL         10010
#define TRADE_RETCODE_ERROR                10011
#define TRADE_RETCODE_TIMEOUT              10012
#define TRADE_RETCODE_INVALID              10013
#define TRADE_RETCODE_INVALID_VOLUME       10014
#define TRADE_RETCODE_INVALID_PRICE        10015
#define TRADE_RETCODE_INVALID_STOPS        10016
#define TRADE_RETCODE_TRADE_DISABLED       10017
#define TRADE_RETCODE_MARKET_CLOSED        10018
#define TRADE_RETCODE_NO_MONEY             10019
#define TRADE_RETCODE_PRICE_CHANGED        10020
#define TRADE_RETCODE_PRICE_OFF            10021
#define TRADE_RETCODE_INVALID_EXPIRATION   10022
#define TRADE_RETCODE_ORDER_CHANGED        10023
#define TRADE_RETCODE_TOO_MANY_REQUESTS    10024
#define TRADE_RETCODE_NO_CHANGES           10025
#define TRADE_RETCODE_LOCKED               10028
#define TRADE_RETCODE_FROZEN               10029
#define TRADE_RETCODE_INVALID_FILL         10030
#define TRADE_RETCODE_CONNECTION           10031
#define TRADE_RETCODE_LIMIT_ORDERS         10033
#define TRADE_RETCODE_LIMIT_VOLUME         10034
#define TRADE_RETCODE_INVALID_ORDER        10035
#define TRADE_RETCODE_POSITION_CLOSED      10036
#define TRADE_RETCODE_LIMIT_POSITIONS      10040
#define TRADE_RETCODE_HEDGE_PROHIBITED     10046

//======================================================================== enums
enum ENUM_TIMEFRAMES
  {
   PERIOD_CURRENT = 0, PERIOD_M1 = 1, PERIOD_M2 = 2, PERIOD_M3 = 3, PERIOD_M4 = 4,
   PERIOD_M5 = 5, PERIOD_M6 = 6, PERIOD_M10 = 10, PERIOD_M12 = 12, PERIOD_M15 = 15,
   PERIOD_M20 = 20, PERIOD_M30 = 30, PERIOD_H1 = 16385, PERIOD_H2 = 16386,
   PERIOD_H3 = 16387, PERIOD_H4 = 16388, PERIOD_H6 = 16390, PERIOD_H8 = 16392,
   PERIOD_H12 = 16396, PERIOD_D1 = 16408, PERIOD_W1 = 32769, PERIOD_MN1 = 49153
  };
enum ENUM_INIT_RETCODE { INIT_SUCCEEDED = 0, INIT_FAILED = 1, INIT_PARAMETERS_INCORRECT = 32767, INIT_AGENT_NOT_SUITABLE = 32768 };
enum ENUM_POINTER_TYPE { POINTER_INVALID, POINTER_DYNAMIC, POINTER_AUTOMATIC };
enum ENUM_DAY_OF_WEEK { SUNDAY, MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY };
enum ENUM_SYMBOL_INFO_DOUBLE
  {
   SYMBOL_BID, SYMBOL_BIDHIGH, SYMBOL_BIDLOW, SYMBOL_ASK, SYMBOL_ASKHIGH, SYMBOL_ASKLOW,
   SYMBOL_LAST, SYMBOL_LASTHIGH, SYMBOL_LASTLOW, SYMBOL_VOLUME_REAL, SYMBOL_VOLUMEHIGH_REAL,
   SYMBOL_VOLUMELOW_REAL, SYMBOL_OPTION_STRIKE, SYMBOL_POINT, SYMBOL_TRADE_TICK_VALUE,
   SYMBOL_TRADE_TICK_VALUE_PROFIT, SYMBOL_TRADE_TICK_VALUE_LOSS, SYMBOL_TRADE_TICK_SIZE,
   SYMBOL_TRADE_CONTRACT_SIZE, SYMBOL_TRADE_ACCRUED_INTEREST, SYMBOL_TRADE_FACE_VALUE,
   SYMBOL_TRADE_LIQUIDITY_RATE, SYMBOL_VOLUME_MIN, SYMBOL_VOLUME_MAX, SYMBOL_VOLUME_STEP,
   SYMBOL_VOLUME_LIMIT, SYMBOL_SWAP_LONG, SYMBOL_SWAP_SHORT, SYMBOL_MARGIN_INITIAL,
   SYMBOL_MARGIN_MAINTENANCE, SYMBOL_SESSION_VOLUME, SYMBOL_SESSION_TURNOVER,
   SYMBOL_SESSION_INTEREST, SYMBOL_SESSION_OPEN, SYMBOL_SESSION_CLOSE, SYMBOL_SESSION_AW,
   SYMBOL_SESSION_PRICE_SETTLEMENT, SYMBOL_SESSION_PRICE_LIMIT_MIN,
   SYMBOL_SESSION_PRICE_LIMIT_MAX, SYMBOL_MARGIN_HEDGED, SYMBOL_PRICE_CHANGE
  };
enum ENUM_SYMBOL_INFO_INTEGER
  {
   SYMBOL_SELECT, SYMBOL_VISIBLE, SYMBOL_SESSION_DEALS, SYMBOL_SESSION_BUY_ORDERS,
   SYMBOL_SESSION_SELL_ORDERS, SYMBOL_VOLUME, SYMBOL_VOLUMEHIGH, SYMBOL_VOLUMELOW,
   SYMBOL_TIME, SYMBOL_TIME_MSC, SYMBOL_DIGITS, SYMBOL_SPREAD_FLOAT, SYMBOL_SPREAD,
   SYMBOL_TICKS_BOOKDEPTH, SYMBOL_TRADE_CALC_MODE, SYMBOL_TRADE_MODE, SYMBOL_START_TIME,
   SYMBOL_EXPIRATION_TIME, SYMBOL_TRADE_STOPS_LEVEL, SYMBOL_TRADE_FREEZE_LEVEL,
   SYMBOL_TRADE_EXEMODE, SYMBOL_SWAP_MODE, SYMBOL_SWAP_ROLLOVER3DAYS,
   SYMBOL_MARGIN_HEDGED_USE_LEG, SYMBOL_EXPIRATION_MODE, SYMBOL_FILLING_MODE,
   SYMBOL_ORDER_MODE, SYMBOL_ORDER_GTC_MODE, SYMBOL_OPTION_MODE, SYMBOL_OPTION_RIGHT,
   SYMBOL_CUSTOM, SYMBOL_EXIST, SYMBOL_BACKGROUND_COLOR, SYMBOL_CHART_MODE
  };
enum ENUM_SYMBOL_INFO_STRING
  {
   SYMBOL_BASIS, SYMBOL_CURRENCY_BASE, SYMBOL_CURRENCY_PROFIT, SYMBOL_CURRENCY_MARGIN,
   SYMBOL_BANK, SYMBOL_DESCRIPTION, SYMBOL_EXCHANGE, SYMBOL_FORMULA, SYMBOL_ISIN,
   SYMBOL_PAGE, SYMBOL_PATH, SYMBOL_CATEGORY, SYMBOL_COUNTRY
  };
enum ENUM_ACCOUNT_INFO_DOUBLE
  {
   ACCOUNT_BALANCE, ACCOUNT_CREDIT, ACCOUNT_PROFIT, ACCOUNT_EQUITY, ACCOUNT_MARGIN,
   ACCOUNT_MARGIN_FREE, ACCOUNT_MARGIN_LEVEL, ACCOUNT_MARGIN_SO_CALL, ACCOUNT_MARGIN_SO_SO,
   ACCOUNT_MARGIN_INITIAL, ACCOUNT_MARGIN_MAINTENANCE, ACCOUNT_ASSETS, ACCOUNT_LIABILITIES,
   ACCOUNT_COMMISSION_BLOCKED
  };
enum ENUM_ACCOUNT_INFO_INTEGER
  {
   ACCOUNT_LOGIN, ACCOUNT_TRADE_MODE, ACCOUNT_LEVERAGE, ACCOUNT_LIMIT_ORDERS,
   ACCOUNT_MARGIN_SO_MODE, ACCOUNT_TRADE_ALLOWED, ACCOUNT_TRADE_EXPERT, ACCOUNT_MARGIN_MODE,
   ACCOUNT_CURRENCY_DIGITS, ACCOUNT_FIFO_CLOSE, ACCOUNT_HEDGE_ALLOWED
  };
enum ENUM_ACCOUNT_INFO_STRING { ACCOUNT_NAME, ACCOUNT_SERVER, ACCOUNT_CURRENCY, ACCOUNT_COMPANY };
enum ENUM_ACCOUNT_MARGIN_MODE { ACCOUNT_MARGIN_MODE_RETAIL_NETTING, ACCOUNT_MARGIN_MODE_EXCHANGE, ACCOUNT_MARGIN_MODE_RETAIL_HEDGING };
enum ENUM_ORDER_TYPE
  {
   ORDER_TYPE_BUY, ORDER_TYPE_SELL, ORDER_TYPE_BUY_LIMIT, ORDER_TYPE_SELL_LIMIT,
   ORDER_TYPE_BUY_STOP, ORDER_TYPE_SELL_STOP, ORDER_TYPE_BUY_STOP_LIMIT,
   ORDER_TYPE_SELL_STOP_LIMIT, ORDER_TYPE_CLOSE_BY
  };
enum ENUM_ORDER_TYPE_FILLING { ORDER_FILLING_FOK, ORDER_FILLING_IOC, ORDER_FILLING_RETURN, ORDER_FILLING_BOC };
enum ENUM_ORDER_TYPE_TIME { ORDER_TIME_GTC, ORDER_TIME_DAY, ORDER_TIME_SPECIFIED, ORDER_TIME_SPECIFIED_DAY };
enum ENUM_ORDER_STATE
  {
   ORDER_STATE_STARTED, ORDER_STATE_PLACED, ORDER_STATE_CANCELED, ORDER_STATE_PARTIAL,
   ORDER_STATE_FILLED, ORDER_STATE_REJECTED, ORDER_STATE_EXPIRED, ORDER_STATE_REQUEST_ADD,
   ORDER_STATE_REQUEST_MODIFY, ORDER_STATE_REQUEST_CANCEL
  };
enum ENUM_ORDER_PROPERTY_INTEGER
  {
   ORDER_TICKET, ORDER_TIME_SETUP, ORDER_TYPE, ORDER_STATE, ORDER_TIME_EXPIRATION,
   ORDER_TIME_DONE, ORDER_TIME_SETUP_MSC, ORDER_TIME_DONE_MSC, ORDER_TYPE_FILLING,
   ORDER_TYPE_TIME, ORDER_MAGIC, ORDER_REASON, ORDER_POSITION_ID, ORDER_POSITION_BY_ID
  };
enum ENUM_ORDER_PROPERTY_DOUBLE
  {
   ORDER_VOLUME_INITIAL, ORDER_VOLUME_CURRENT, ORDER_PRICE_OPEN, ORDER_SL, ORDER_TP,
   ORDER_PRICE_CURRENT, ORDER_PRICE_STOPLIMIT
  };
enum ENUM_ORDER_PROPERTY_STRING { ORDER_SYMBOL, ORDER_COMMENT, ORDER_EXTERNAL_ID };
enum ENUM_POSITION_TYPE { POSITION_TYPE_BUY, POSITION_TYPE_SELL };
enum ENUM_POSITION_PROPERTY_INTEGER
  {
   POSITION_TICKET, POSITION_TIME, POSITION_TIME_MSC, POSITION_TIME_UPDATE,
   POSITION_TIME_UPDATE_MSC, POSITION_TYPE, POSITION_MAGIC, POSITION_IDENTIFIER,
   POSITION_REASON
  };
enum ENUM_POSITION_PROPERTY_DOUBLE
  {
   POSITION_VOLUME, POSITION_PRICE_OPEN, POSITION_SL, POSITION_TP, POSITION_PRICE_CURRENT,
   POSITION_SWAP, POSITION_PROFIT
  };
enum ENUM_POSITION_PROPERTY_STRING { POSITION_SYMBOL, POSITION_COMMENT, POSITION_EXTERNAL_ID };
enum ENUM_DEAL_TYPE
  {
   DEAL_TYPE_BUY, DEAL_TYPE_SELL, DEAL_TYPE_BALANCE, DEAL_TYPE_CREDIT, DEAL_TYPE_CHARGE,
   DEAL_TYPE_CORRECTION, DEAL_TYPE_BONUS, DEAL_TYPE_COMMISSION
  };
enum ENUM_DEAL_ENTRY { DEAL_ENTRY_IN, DEAL_ENTRY_OUT, DEAL_ENTRY_INOUT, DEAL_ENTRY_OUT_BY };
enum ENUM_DEAL_PROPERTY_INTEGER
  {
   DEAL_TICKET, DEAL_ORDER, DEAL_TIME, DEAL_TIME_MSC, DEAL_TYPE, DEAL_ENTRY, DEAL_MAGIC,
   DEAL_REASON, DEAL_POSITION_ID
  };
enum ENUM_DEAL_PROPERTY_DOUBLE
  {
   DEAL_VOLUME, DEAL_PRICE, DEAL_COMMISSION, DEAL_SWAP, DEAL_PROFIT, DEAL_FEE, DEAL_SL, DEAL_TP
  };
enum ENUM_DEAL_PROPERTY_STRING { DEAL_SYMBOL, DEAL_COMMENT, DEAL_EXTERNAL_ID };
enum ENUM_TRADE_REQUEST_ACTIONS
  {
   TRADE_ACTION_DEAL = 1, TRADE_ACTION_PENDING = 5, TRADE_ACTION_SLTP = 6,
   TRADE_ACTION_MODIFY = 7, TRADE_ACTION_REMOVE = 8, TRADE_ACTION_CLOSE_BY = 10
  };
enum ENUM_TRADE_TRANSACTION_TYPE
  {
   TRADE_TRANSACTION_ORDER_ADD, TRADE_TRANSACTION_ORDER_UPDATE, TRADE_TRANSACTION_ORDER_DELETE,
   TRADE_TRANSACTION_DEAL_ADD, TRADE_TRANSACTION_DEAL_UPDATE, TRADE_TRANSACTION_DEAL_DELETE,
   TRADE_TRANSACTION_HISTORY_ADD, TRADE_TRANSACTION_HISTORY_UPDATE,
   TRADE_TRANSACTION_HISTORY_DELETE, TRADE_TRANSACTION_POSITION, TRADE_TRANSACTION_REQUEST
  };
enum ENUM_MA_METHOD { MODE_SMA, MODE_EMA, MODE_SMMA, MODE_LWMA };
enum ENUM_APPLIED_PRICE
  {
   PRICE_CLOSE = 1, PRICE_OPEN, PRICE_HIGH, PRICE_LOW, PRICE_MEDIAN, PRICE_TYPICAL, PRICE_WEIGHTED
  };
enum ENUM_APPLIED_VOLUME { VOLUME_TICK, VOLUME_REAL };
enum ENUM_STO_PRICE { STO_LOWHIGH, STO_CLOSECLOSE };
enum ENUM_SERIESMODE { MODE_OPEN, MODE_LOW, MODE_HIGH, MODE_CLOSE, MODE_VOLUME, MODE_REAL_VOLUME, MODE_SPREAD, MODE_TIME };
enum ENUM_SERIES_INFO_INTEGER
  {
   SERIES_BARS_COUNT, SERIES_FIRSTDATE, SERIES_LASTBAR_DATE, SERIES_SERVER_FIRSTDATE,
   SERIES_TERMINAL_FIRSTDATE, SERIES_SYNCHRONIZED
  };
enum ENUM_TERMINAL_INFO_INTEGER
  {
   TERMINAL_BUILD, TERMINAL_COMMUNITY_ACCOUNT, TERMINAL_COMMUNITY_CONNECTION, TERMINAL_CONNECTED,
   TERMINAL_DLLS_ALLOWED, TERMINAL_TRADE_ALLOWED, TERMINAL_EMAIL_ENABLED, TERMINAL_FTP_ENABLED,
   TERMINAL_NOTIFICATIONS_ENABLED, TERMINAL_MAXBARS, TERMINAL_MQID, TERMINAL_CODEPAGE,
   TERMINAL_CPU_CORES, TERMINAL_DISK_SPACE, TERMINAL_MEMORY_PHYSICAL, TERMINAL_MEMORY_TOTAL,
   TERMINAL_MEMORY_AVAILABLE, TERMINAL_MEMORY_USED, TERMINAL_X64, TERMINAL_PING_LAST,
   TERMINAL_SCREEN_DPI
  };
enum ENUM_TERMINAL_INFO_DOUBLE { TERMINAL_COMMUNITY_BALANCE, TERMINAL_RETRANSMISSION };
enum ENUM_TERMINAL_INFO_STRING
  {
   TERMINAL_LANGUAGE, TERMINAL_COMPANY, TERMINAL_NAME, TERMINAL_PATH, TERMINAL_DATA_PATH,
   TERMINAL_COMMONDATA_PATH
  };
enum ENUM_MQL_INFO_INTEGER
  {
   MQL_MEMORY_LIMIT, MQL_MEMORY_USED, MQL_PROGRAM_TYPE, MQL_DLLS_ALLOWED, MQL_TRADE_ALLOWED,
   MQL_SIGNALS_ALLOWED, MQL_DEBUG, MQL_PROFILER, MQL_TESTER, MQL_FORWARD, MQL_OPTIMIZATION,
   MQL_VISUAL_MODE, MQL_FRAME_MODE, MQL_LICENSE_TYPE, MQL_STARTED_FROM_CONFIG, MQL_CODEPAGE
  };
enum ENUM_LICENSE_TYPE { LICENSE_FREE, LICENSE_DEMO, LICENSE_FULL, LICENSE_TIME };
enum ENUM_MQL_INFO_STRING { MQL_PROGRAM_NAME, MQL_PROGRAM_PATH };
enum ENUM_PROGRAM_TYPE { PROGRAM_SCRIPT, PROGRAM_EXPERT, PROGRAM_INDICATOR, PROGRAM_SERVICE };
enum ENUM_OBJECT
  {
   OBJ_VLINE, OBJ_HLINE, OBJ_TREND, OBJ_TRENDBYANGLE, OBJ_CYCLES, OBJ_ARROWED_LINE,
   OBJ_CHANNEL, OBJ_STDDEVCHANNEL, OBJ_REGRESSION, OBJ_PITCHFORK, OBJ_GANNLINE, OBJ_GANNFAN,
   OBJ_GANNGRID, OBJ_FIBO, OBJ_FIBOTIMES, OBJ_FIBOFAN, OBJ_FIBOARC, OBJ_FIBOCHANNEL,
   OBJ_EXPANSION, OBJ_RECTANGLE, OBJ_TRIANGLE, OBJ_ELLIPSE, OBJ_ARROW_THUMB_UP,
   OBJ_ARROW_THUMB_DOWN, OBJ_ARROW_UP, OBJ_ARROW_DOWN, OBJ_ARROW_STOP, OBJ_ARROW_CHECK,
   OBJ_ARROW_LEFT_PRICE, OBJ_ARROW_RIGHT_PRICE, OBJ_ARROW_BUY, OBJ_ARROW_SELL, OBJ_ARROW,
   OBJ_TEXT, OBJ_LABEL, OBJ_BUTTON, OBJ_CHART, OBJ_BITMAP, OBJ_BITMAP_LABEL, OBJ_EDIT,
   OBJ_EVENT, OBJ_RECTANGLE_LABEL
  };
enum ENUM_OBJECT_PROPERTY_INTEGER
  {
   OBJPROP_COLOR, OBJPROP_STYLE, OBJPROP_WIDTH, OBJPROP_BACK, OBJPROP_ZORDER, OBJPROP_FILL,
   OBJPROP_HIDDEN, OBJPROP_SELECTED, OBJPROP_READONLY, OBJPROP_TYPE, OBJPROP_TIME,
   OBJPROP_SELECTABLE, OBJPROP_CREATETIME, OBJPROP_LEVELS, OBJPROP_LEVELCOLOR,
   OBJPROP_LEVELSTYLE, OBJPROP_LEVELWIDTH, OBJPROP_ALIGN, OBJPROP_FONTSIZE, OBJPROP_RAY_LEFT,
   OBJPROP_RAY_RIGHT, OBJPROP_RAY, OBJPROP_ELLIPSE, OBJPROP_ARROWCODE, OBJPROP_TIMEFRAMES,
   OBJPROP_ANCHOR, OBJPROP_XDISTANCE, OBJPROP_YDISTANCE, OBJPROP_DIRECTION, OBJPROP_DEGREE,
   OBJPROP_DRAWLINES, OBJPROP_STATE, OBJPROP_CHART_ID, OBJPROP_XSIZE, OBJPROP_YSIZE,
   OBJPROP_XOFFSET, OBJPROP_YOFFSET, OBJPROP_PERIOD, OBJPROP_DATE_SCALE, OBJPROP_PRICE_SCALE,
   OBJPROP_CHART_SCALE, OBJPROP_BGCOLOR, OBJPROP_CORNER, OBJPROP_BORDER_TYPE,
   OBJPROP_BORDER_COLOR
  };
enum ENUM_OBJECT_PROPERTY_DOUBLE { OBJPROP_PRICE, OBJPROP_LEVELVALUE, OBJPROP_SCALE, OBJPROP_ANGLE, OBJPROP_DEVIATION };
enum ENUM_OBJECT_PROPERTY_STRING
  {
   OBJPROP_NAME, OBJPROP_TEXT, OBJPROP_TOOLTIP, OBJPROP_LEVELTEXT, OBJPROP_FONT,
   OBJPROP_BMPFILE, OBJPROP_SYMBOL
  };
enum ENUM_BASE_CORNER { CORNER_LEFT_UPPER, CORNER_LEFT_LOWER, CORNER_RIGHT_LOWER, CORNER_RIGHT_UPPER };
enum ENUM_ANCHOR_POINT
  {
   ANCHOR_LEFT_UPPER, ANCHOR_LEFT, ANCHOR_LEFT_LOWER, ANCHOR_LOWER, ANCHOR_RIGHT_LOWER,
   ANCHOR_RIGHT, ANCHOR_RIGHT_UPPER, ANCHOR_UPPER, ANCHOR_CENTER
  };
enum ENUM_BORDER_TYPE { BORDER_FLAT, BORDER_RAISED, BORDER_SUNKEN };
enum ENUM_LINE_STYLE { STYLE_SOLID, STYLE_DASH, STYLE_DOT, STYLE_DASHDOT, STYLE_DASHDOTDOT };
enum ENUM_CHART_EVENT
  {
   CHARTEVENT_KEYDOWN, CHARTEVENT_MOUSE_MOVE, CHARTEVENT_OBJECT_CREATE,
   CHARTEVENT_OBJECT_CHANGE, CHARTEVENT_OBJECT_DELETE, CHARTEVENT_CLICK,
   CHARTEVENT_OBJECT_CLICK, CHARTEVENT_OBJECT_DRAG, CHARTEVENT_OBJECT_ENDEDIT,
   CHARTEVENT_CHART_CHANGE, CHARTEVENT_MOUSE_WHEEL, CHARTEVENT_CUSTOM = 1000,
   CHARTEVENT_CUSTOM_LAST = 66534
  };
enum ENUM_CHART_PROPERTY_INTEGER
  {
   CHART_SHOW, CHART_IS_OBJECT, CHART_BRING_TO_TOP, CHART_MODE, CHART_FOREGROUND, CHART_SHIFT,
   CHART_AUTOSCROLL, CHART_SCALE, CHART_SHOW_GRID, CHART_SHOW_VOLUMES, CHART_VISIBLE_BARS,
   CHART_WINDOWS_TOTAL, CHART_WIDTH_IN_PIXELS, CHART_HEIGHT_IN_PIXELS, CHART_COLOR_BACKGROUND,
   CHART_COLOR_FOREGROUND, CHART_EVENT_MOUSE_MOVE, CHART_EVENT_OBJECT_CREATE,
   CHART_EVENT_OBJECT_DELETE, CHART_FIRST_VISIBLE_BAR
  };
enum ENUM_CHART_PROPERTY_DOUBLE { CHART_SHIFT_SIZE, CHART_FIXED_POSITION, CHART_FIXED_MAX, CHART_FIXED_MIN, CHART_PRICE_MIN, CHART_PRICE_MAX };
enum ENUM_CHART_PROPERTY_STRING { CHART_COMMENT, CHART_EXPERT_NAME, CHART_SCRIPT_NAME };
enum ENUM_BOOK_TYPE { BOOK_TYPE_SELL = 1, BOOK_TYPE_BUY, BOOK_TYPE_SELL_MARKET, BOOK_TYPE_BUY_MARKET };
enum ENUM_DATATYPE { TYPE_BOOL, TYPE_CHAR, TYPE_UCHAR, TYPE_SHORT, TYPE_USHORT, TYPE_COLOR, TYPE_INT, TYPE_UINT, TYPE_DATETIME, TYPE_LONG, TYPE_ULONG, TYPE_FLOAT, TYPE_DOUBLE, TYPE_STRING };
enum ENUM_CRYPT_METHOD { CRYPT_BASE64, CRYPT_AES128, CRYPT_AES256, CRYPT_DES, CRYPT_HASH_SHA1, CRYPT_HASH_SHA256, CRYPT_HASH_MD5, CRYPT_ARCH_ZIP };

//=================================================================== structures
struct MqlDateTime { int year, mon, day, hour, min, sec, day_of_week, day_of_year; };
struct MqlTick
  {
   datetime time; double bid; double ask; double last; ulong volume; long time_msc;
   uint flags; double volume_real;
  };
struct MqlRates
  {
   datetime time; double open; double high; double low; double close; long tick_volume;
   int spread; long real_volume;
  };
struct MqlBookInfo { ENUM_BOOK_TYPE type; double price; long volume; double volume_real; };
struct MqlTradeRequest
  {
   ENUM_TRADE_REQUEST_ACTIONS action; ulong magic; ulong order; string symbol; double volume;
   double price; double stoplimit; double sl; double tp; ulong deviation; ENUM_ORDER_TYPE type;
   ENUM_ORDER_TYPE_FILLING type_filling; ENUM_ORDER_TYPE_TIME type_time; datetime expiration;
   string comment; ulong position; ulong position_by;
  };
struct MqlTradeResult
  {
   uint retcode; ulong deal; ulong order; double volume; double price; double bid; double ask;
   string comment; uint request_id; int retcode_external;
  };
struct MqlTradeCheckResult
  {
   uint retcode; double balance; double equity; double profit; double margin;
   double margin_free; double margin_level; string comment;
  };
struct MqlTradeTransaction
  {
   ulong deal; ulong order; string symbol; ENUM_TRADE_TRANSACTION_TYPE type;
   ENUM_ORDER_TYPE order_type; ENUM_ORDER_STATE order_state; ENUM_DEAL_TYPE deal_type;
   ENUM_ORDER_TYPE_TIME time_type; datetime time_expiration; double price;
   double price_trigger; double price_sl; double price_tp; double volume; ulong position;
   ulong position_by;
  };
struct MqlParam { ENUM_DATATYPE type; long integer_value; double double_value; string string_value; };

//========================================================== predefined variables
extern const string          _Symbol;
extern const ENUM_TIMEFRAMES _Period;
extern const double          _Point;
extern const int             _Digits;
extern const int             _LastError;
extern const bool            _StopFlag;
extern const int             _UninitReason;
extern const int             _RandomSeed;
extern const bool            _IsX64;
extern const int             _AppliedTo;

//========================================================= event handler shapes
// (OnInit may be int or void in MQL5, so it is not declared here)
void   OnDeinit(const int reason);
void   OnTick(void);
void   OnTimer(void);
void   OnTrade(void);
double OnTester(void);
void   OnTradeTransaction(const MqlTradeTransaction &trans, const MqlTradeRequest &request, const MqlTradeResult &result);
void   OnChartEvent(const int id, const long &lparam, const double &dparam, const string &sparam);

//======================================================================= common
template<class... A> void Print(const A &... args);
template<class... A> void Alert(const A &... args);
template<class... A> void Comment(const A &... args);
template<class... A> void PrintFormat(const string format, const A &... args);
template<class... A> string StringFormat(const string format, const A &... args);
int      GetLastError(void);
void     ResetLastError(void);
void     SetUserError(ushort user_error);
bool     IsStopped(void);
void     ExpertRemove(void);
void     Sleep(int milliseconds);
void     DebugBreak(void);
uint     GetTickCount(void);
ulong    GetTickCount64(void);
ulong    GetMicrosecondCount(void);
int      MessageBox(const string text, const string caption = NULL, int flags = 0);
bool     PlaySound(const string filename);
bool     SendNotification(const string text);
bool     SendMail(const string subject, const string some_text);
int      PeriodSeconds(ENUM_TIMEFRAMES period = PERIOD_CURRENT);
string   Symbol(void);
ENUM_TIMEFRAMES Period(void);
double   Point(void);
int      Digits(void);
int      MQLInfoInteger(ENUM_MQL_INFO_INTEGER property_id);
string   MQLInfoString(ENUM_MQL_INFO_STRING property_id);
int      TerminalInfoInteger(ENUM_TERMINAL_INFO_INTEGER property_id);
double   TerminalInfoDouble(ENUM_TERMINAL_INFO_DOUBLE property_id);
string   TerminalInfoString(ENUM_TERMINAL_INFO_STRING property_id);
template<class T> ENUM_POINTER_TYPE CheckPointer(const T *anyobject);
// 'this' passed as an argument: MQL converts it to a pointer OR a reference as needed
template<class T> struct _mql_self { operator T *() const; operator T &() const; };
template<class T> _mql_self<T> _mql_this(T *self);
template<class T> ENUM_POINTER_TYPE CheckPointer(_mql_self<T> self);
template<class T> T *GetPointer(_mql_self<T> self);
template<class T> T *GetPointer(T &anyobject);
template<class T> void ZeroMemory(T &variable);
template<class T> string _mql_typename(const T &value);          // typename(x)
template<class E> string EnumToString(E value);
bool     EventSetTimer(int seconds);
bool     EventSetMillisecondTimer(int milliseconds);
void     EventKillTimer(void);
bool     EventChartCustom(long chart_id, ushort custom_event_id, long lparam, double dparam, const string sparam);

//======================================================================= arrays
template<class T> int  ArraySize(const T *array);
template<class T> int  ArrayRange(const T *array, int rank_index);
template<class T> int  ArrayResize(T *array, int new_size, int reserve_size = 0);
template<class T> void ArrayFree(T *array);
template<class T> bool ArraySetAsSeries(const T *array, bool flag);
template<class T> bool ArrayGetAsSeries(const T *array);
template<class T> bool ArrayIsDynamic(const T *array);
template<class T> bool ArrayIsSeries(const T *array);
template<class T, class V> int  ArrayInitialize(T *array, V value);
template<class T, class V> void ArrayFill(T *array, int start, int count, V value);
template<class T> int  ArrayCopy(T *dst_array, const T *src_array, int dst_start = 0, int src_start = 0, int count = WHOLE_ARRAY);
template<class T> int  ArrayCompare(const T *array1, const T *array2, int start1 = 0, int start2 = 0, int count = WHOLE_ARRAY);
template<class T> int  ArrayMaximum(const T *array, int start = 0, int count = WHOLE_ARRAY);
template<class T> int  ArrayMinimum(const T *array, int start = 0, int count = WHOLE_ARRAY);
template<class T> bool ArraySort(T *array);
template<class T> bool ArrayReverse(T *array, uint start = 0, uint count = WHOLE_ARRAY);
template<class T> bool ArraySwap(T *array1, T *array2);
template<class T> bool ArrayInsert(T *dst_array, const T *src_array, uint dst_start, uint src_start = 0, uint count = WHOLE_ARRAY);
template<class T> bool ArrayRemove(T *array, uint start, uint count = WHOLE_ARRAY);
template<class T, class V> int ArrayBsearch(const T *array, V value);
template<class T> void ArrayPrint(const T *array, uint digits = 16, const string separator = NULL, ulong start = 0, ulong count = WHOLE_ARRAY, ulong flags = 0);

//================================================================ conversions
string   CharToString(uchar char_code);
string   ShortToString(ushort symbol_code);
string   IntegerToString(long number, int str_len = 0, ushort fill_symbol = ' ');
string   DoubleToString(double value, int digits = 8);
string   TimeToString(datetime value, int mode = TIME_DATE | TIME_MINUTES);
string   ColorToString(color color_value, bool color_name);
uint     ColorToARGB(color clr, uchar alpha = 255);
color    StringToColor(const string color_string);
double   StringToDouble(const string value);
long     StringToInteger(const string value);
datetime StringToTime(const string time_string);
double   NormalizeDouble(double value, int digits);
int      StringToCharArray(const string text_string, uchar *array, int start = 0, int count = -1, uint codepage = CP_ACP);
string   CharArrayToString(const uchar *array, int start = 0, int count = -1, uint codepage = CP_ACP);
int      StringToShortArray(const string text_string, ushort *array, int start = 0, int count = -1);
string   ShortArrayToString(const ushort *array, int start = 0, int count = -1);
template<class S> bool StructToCharArray(const S &struct_object, uchar *char_array, uint start_pos = 0);
template<class S> bool CharArrayToStruct(S &struct_object, const uchar *char_array, uint start_pos = 0);
int      CryptEncode(ENUM_CRYPT_METHOD method, const uchar *data, const uchar *key, uchar *result);
int      CryptDecode(ENUM_CRYPT_METHOD method, const uchar *data, const uchar *key, uchar *result);

//====================================================================== strings
int      StringLen(const string string_value);
int      StringBufferLen(const string string_value);
string   StringSubstr(const string string_value, int start_pos, int length = -1);
int      StringFind(const string string_value, const string match_substring, int start_pos = 0);
int      StringReplace(string &str, const string find, const string replacement);
bool     StringToLower(string &string_var);
bool     StringToUpper(string &string_var);
int      StringTrimLeft(string &string_var);
int      StringTrimRight(string &string_var);
int      StringSplit(const string string_value, const ushort separator, string *result);
ushort   StringGetCharacter(const string string_value, int pos);
bool     StringSetCharacter(string &string_var, int pos, ushort character);
bool     StringAdd(string &string_var, const string add_substring);
bool     StringInit(string &string_var, int new_len = 0, ushort character = 0);
int      StringFill(string &string_var, ushort character);
int      StringCompare(const string &string1, const string &string2, bool case_sensitive = true);
template<class... A> int StringConcatenate(string &string_var, const A &... args);

//========================================================================= math
template<class T> T MathAbs(T value);
double   MathMax(double value1, double value2);
double   MathMin(double value1, double value2);
double   MathPow(double base, double exponent);
double   MathSqrt(double value);
double   MathRound(double value);
double   MathFloor(double value);
double   MathCeil(double value);
double   MathLog(double value);
double   MathLog10(double value);
double   MathExp(double value);
double   MathMod(double value, double value2);
double   MathSin(double value);
double   MathCos(double value);
double   MathTan(double value);
double   MathArctan(double value);
bool     MathIsValidNumber(double number);
int      MathRand(void);
void     MathSrand(int seed);
double   fabs(double value);
double   fmax(double value1, double value2);
double   fmin(double value1, double value2);
double   pow(double base, double exponent);
double   sqrt(double value);
double   round(double value);
double   floor(double value);
double   ceil(double value);
double   log(double value);
double   exp(double value);

//===================================================================== datetime
datetime TimeCurrent(void);
datetime TimeCurrent(MqlDateTime &dt_struct);
datetime TimeLocal(void);
datetime TimeLocal(MqlDateTime &dt_struct);
datetime TimeGMT(void);
datetime TimeGMT(MqlDateTime &dt_struct);
datetime TimeTradeServer(void);
int      TimeDaylightSavings(void);
int      TimeGMTOffset(void);
bool     TimeToStruct(datetime dt, MqlDateTime &dt_struct);
datetime StructToTime(MqlDateTime &dt_struct);

//=============================================================== market info
double   SymbolInfoDouble(const string name, ENUM_SYMBOL_INFO_DOUBLE prop_id);
bool     SymbolInfoDouble(const string name, ENUM_SYMBOL_INFO_DOUBLE prop_id, double &double_var);
long     SymbolInfoInteger(const string name, ENUM_SYMBOL_INFO_INTEGER prop_id);
bool     SymbolInfoInteger(const string name, ENUM_SYMBOL_INFO_INTEGER prop_id, long &long_var);
string   SymbolInfoString(const string name, ENUM_SYMBOL_INFO_STRING prop_id);
bool     SymbolInfoString(const string name, ENUM_SYMBOL_INFO_STRING prop_id, string &string_var);
bool     SymbolInfoTick(const string symbol, MqlTick &tick);
bool     SymbolInfoSessionTrade(const string name, ENUM_DAY_OF_WEEK day_of_week, uint session_index, datetime &from, datetime &to);
bool     SymbolInfoMarginRate(const string name, ENUM_ORDER_TYPE order_type, double &initial_margin_rate, double &maintenance_margin_rate);
bool     SymbolSelect(const string name, bool select);
int      SymbolsTotal(bool selected);
string   SymbolName(int pos, bool selected);
bool     SymbolIsSynchronized(const string name);
bool     MarketBookAdd(const string symbol);
bool     MarketBookRelease(const string symbol);
bool     MarketBookGet(const string symbol, MqlBookInfo *book);

//============================================================ timeseries access
#define _MQL_COPY_SERIES(NAME, T)                                                                 \
   int NAME(const string symbol_name, ENUM_TIMEFRAMES timeframe, int start_pos, int count, T *array); \
   int NAME(const string symbol_name, ENUM_TIMEFRAMES timeframe, datetime start_time, int count, T *array); \
   int NAME(const string symbol_name, ENUM_TIMEFRAMES timeframe, datetime start_time, datetime stop_time, T *array);
_MQL_COPY_SERIES(CopyRates, MqlRates)
_MQL_COPY_SERIES(CopyTime, datetime)
_MQL_COPY_SERIES(CopyOpen, double)
_MQL_COPY_SERIES(CopyHigh, double)
_MQL_COPY_SERIES(CopyLow, double)
_MQL_COPY_SERIES(CopyClose, double)
_MQL_COPY_SERIES(CopyTickVolume, long)
_MQL_COPY_SERIES(CopyRealVolume, long)
_MQL_COPY_SERIES(CopySpread, int)
#undef _MQL_COPY_SERIES
int      CopyBuffer(int indicator_handle, int buffer_num, int start_pos, int count, double *buffer);
int      CopyBuffer(int indicator_handle, int buffer_num, datetime start_time, int count, double *buffer);
int      CopyBuffer(int indicator_handle, int buffer_num, datetime start_time, datetime stop_time, double *buffer);
int      CopyTicks(const string symbol_name, MqlTick *ticks_array, uint flags = COPY_TICKS_ALL, ulong from = 0, uint count = 0);
int      CopyTicksRange(const string symbol_name, MqlTick *ticks_array, uint flags = COPY_TICKS_ALL, ulong from_msc = 0, ulong to_msc = 0);
int      Bars(const string symbol_name, ENUM_TIMEFRAMES timeframe);
int      Bars(const string symbol_name, ENUM_TIMEFRAMES timeframe, datetime start_time, datetime stop_time);
int      BarsCalculated(int indicator_handle);
int      iBars(const string symbol, ENUM_TIMEFRAMES timeframe);
int      iBarShift(const string symbol, ENUM_TIMEFRAMES timeframe, datetime time, bool exact = false);
double   iOpen(const string symbol, ENUM_TIMEFRAMES timeframe, int shift);
double   iHigh(const string symbol, ENUM_TIMEFRAMES timeframe, int shift);
double   iLow(const string symbol, ENUM_TIMEFRAMES timeframe, int shift);
double   iClose(const string symbol, ENUM_TIMEFRAMES timeframe, int shift);
datetime iTime(const string symbol, ENUM_TIMEFRAMES timeframe, int shift);
long     iVolume(const string symbol, ENUM_TIMEFRAMES timeframe, int shift);
long     iTickVolume(const string symbol, ENUM_TIMEFRAMES timeframe, int shift);
long     iRealVolume(const string symbol, ENUM_TIMEFRAMES timeframe, int shift);
long     iSpread(const string symbol, ENUM_TIMEFRAMES timeframe, int shift);
int      iHighest(const string symbol, ENUM_TIMEFRAMES timeframe, ENUM_SERIESMODE type, int count = WHOLE_ARRAY, int start = 0);
int      iLowest(const string symbol, ENUM_TIMEFRAMES timeframe, ENUM_SERIESMODE type, int count = WHOLE_ARRAY, int start = 0);
long     SeriesInfoInteger(const string symbol_name, ENUM_TIMEFRAMES timeframe, ENUM_SERIES_INFO_INTEGER prop_id);
bool     SeriesInfoInteger(const string symbol_name, ENUM_TIMEFRAMES timeframe, ENUM_SERIES_INFO_INTEGER prop_id, long &long_var);

//=================================================================== indicators
int      iMA(const string symbol, ENUM_TIMEFRAMES period, int ma_period, int ma_shift, ENUM_MA_METHOD ma_method, ENUM_APPLIED_PRICE applied_price);
int      iRSI(const string symbol, ENUM_TIMEFRAMES period, int ma_period, ENUM_APPLIED_PRICE applied_price);
int      iATR(const string symbol, ENUM_TIMEFRAMES period, int ma_period);
int      iADX(const string symbol, ENUM_TIMEFRAMES period, int adx_period);
int      iCCI(const string symbol, ENUM_TIMEFRAMES period, int ma_period, ENUM_APPLIED_PRICE applied_price);
int      iMomentum(const string symbol, ENUM_TIMEFRAMES period, int mom_period, ENUM_APPLIED_PRICE applied_price);
int      iMACD(const string symbol, ENUM_TIMEFRAMES period, int fast_ema_period, int slow_ema_period, int signal_period, ENUM_APPLIED_PRICE applied_price);
int      iBands(const string symbol, ENUM_TIMEFRAMES period, int bands_period, int bands_shift, double deviation, ENUM_APPLIED_PRICE applied_price);
int      iStochastic(const string symbol, ENUM_TIMEFRAMES period, int Kperiod, int Dperiod, int slowing, ENUM_MA_METHOD ma_method, ENUM_STO_PRICE price_field);
template<class... A> int iCustom(const string symbol, ENUM_TIMEFRAMES period, const string name, const A &... params);
bool     IndicatorRelease(int indicator_handle);

//======================================================================== trade
bool     OrderSend(MqlTradeRequest &request, MqlTradeResult &result);
bool     OrderSendAsync(MqlTradeRequest &request, MqlTradeResult &result);
bool     OrderCheck(MqlTradeRequest &request, MqlTradeCheckResult &result);
bool     OrderCalcMargin(ENUM_ORDER_TYPE action, const string symbol, double volume, double price, double &margin);
bool     OrderCalcProfit(ENUM_ORDER_TYPE action, const string symbol, double volume, double price_open, double price_close, double &profit);
int      PositionsTotal(void);
string   PositionGetSymbol(int index);
bool     PositionSelect(const string symbol);
bool     PositionSelectByTicket(ulong ticket);
ulong    PositionGetTicket(int index);
double   PositionGetDouble(ENUM_POSITION_PROPERTY_DOUBLE property_id);
bool     PositionGetDouble(ENUM_POSITION_PROPERTY_DOUBLE property_id, double &double_var);
long     PositionGetInteger(ENUM_POSITION_PROPERTY_INTEGER property_id);
bool     PositionGetInteger(ENUM_POSITION_PROPERTY_INTEGER property_id, long &long_var);
string   PositionGetString(ENUM_POSITION_PROPERTY_STRING property_id);
bool     PositionGetString(ENUM_POSITION_PROPERTY_STRING property_id, string &string_var);
int      OrdersTotal(void);
ulong    OrderGetTicket(int index);
bool     OrderSelect(ulong ticket);
double   OrderGetDouble(ENUM_ORDER_PROPERTY_DOUBLE property_id);
long     OrderGetInteger(ENUM_ORDER_PROPERTY_INTEGER property_id);
string   OrderGetString(ENUM_ORDER_PROPERTY_STRING property_id);
bool     HistorySelect(datetime from_date, datetime to_date);
bool     HistoryDealSelect(ulong ticket);
bool     HistorySelectByPosition(long position_id);
int      HistoryDealsTotal(void);
ulong    HistoryDealGetTicket(int index);
double   HistoryDealGetDouble(ulong ticket_number, ENUM_DEAL_PROPERTY_DOUBLE property_id);
long     HistoryDealGetInteger(ulong ticket_number, ENUM_DEAL_PROPERTY_INTEGER property_id);
string   HistoryDealGetString(ulong ticket_number, ENUM_DEAL_PROPERTY_STRING property_id);
int      HistoryOrdersTotal(void);
ulong    HistoryOrderGetTicket(int index);
double   HistoryOrderGetDouble(ulong ticket_number, ENUM_ORDER_PROPERTY_DOUBLE property_id);
long     HistoryOrderGetInteger(ulong ticket_number, ENUM_ORDER_PROPERTY_INTEGER property_id);
string   HistoryOrderGetString(ulong ticket_number, ENUM_ORDER_PROPERTY_STRING property_id);
double   AccountInfoDouble(ENUM_ACCOUNT_INFO_DOUBLE property_id);
long     AccountInfoInteger(ENUM_ACCOUNT_INFO_INTEGER property_id);
string   AccountInfoString(ENUM_ACCOUNT_INFO_STRING property_id);

//============================================================ chart and objects
template<class... A>
bool     ObjectCreate(long chart_id, const string name, ENUM_OBJECT type, int sub_window, datetime time1, double price1, const A &... more_points);
bool     ObjectDelete(long chart_id, const string name);
int      ObjectsDeleteAll(long chart_id, int sub_window = -1, int type = -1);
int      ObjectsDeleteAll(long chart_id, const string prefix, int sub_window = -1, int object_type = -1);
int      ObjectFind(long chart_id, const string name);
int      ObjectsTotal(long chart_id, int sub_window = -1, int type = -1);
string   ObjectName(long chart_id, int pos, int sub_window = -1, int type = -1);
bool     ObjectMove(long chart_id, const string name, int point_index, datetime time, double price);
bool     ObjectSetInteger(long chart_id, const string name, ENUM_OBJECT_PROPERTY_INTEGER prop_id, long prop_value);
bool     ObjectSetInteger(long chart_id, const string name, ENUM_OBJECT_PROPERTY_INTEGER prop_id, int prop_modifier, long prop_value);
bool     ObjectSetDouble(long chart_id, const string name, ENUM_OBJECT_PROPERTY_DOUBLE prop_id, double prop_value);
bool     ObjectSetDouble(long chart_id, const string name, ENUM_OBJECT_PROPERTY_DOUBLE prop_id, int prop_modifier, double prop_value);
bool     ObjectSetString(long chart_id, const string name, ENUM_OBJECT_PROPERTY_STRING prop_id, const string prop_value);
bool     ObjectSetString(long chart_id, const string name, ENUM_OBJECT_PROPERTY_STRING prop_id, int prop_modifier, const string prop_value);
long     ObjectGetInteger(long chart_id, const string name, ENUM_OBJECT_PROPERTY_INTEGER prop_id, int prop_modifier = 0);
double   ObjectGetDouble(long chart_id, const string name, ENUM_OBJECT_PROPERTY_DOUBLE prop_id, int prop_modifier = 0);
string   ObjectGetString(long chart_id, const string name, ENUM_OBJECT_PROPERTY_STRING prop_id, int prop_modifier = 0);
long     ChartID(void);
void     ChartRedraw(long chart_id = 0);
string   ChartSymbol(long chart_id = 0);
ENUM_TIMEFRAMES ChartPeriod(long chart_id = 0);
long     ChartGetInteger(long chart_id, ENUM_CHART_PROPERTY_INTEGER prop_id, int sub_window = 0);
double   ChartGetDouble(long chart_id, ENUM_CHART_PROPERTY_DOUBLE prop_id, int sub_window = 0);
string   ChartGetString(long chart_id, ENUM_CHART_PROPERTY_STRING prop_id);
bool     ChartSetInteger(long chart_id, ENUM_CHART_PROPERTY_INTEGER prop_id, long value);
bool     ChartSetDouble(long chart_id, ENUM_CHART_PROPERTY_DOUBLE prop_id, double value);
bool     ChartSetString(long chart_id, ENUM_CHART_PROPERTY_STRING prop_id, const string str_value);

//============================================================ files & globals
enum ENUM_FILE_POSITION { SEEK_SET, SEEK_CUR, SEEK_END };
bool     FileSeek(int file_handle, long offset, ENUM_FILE_POSITION origin);
int      FileOpen(const string file_name, int open_flags, short delimiter = '\t', uint codepage = CP_ACP);
void     FileClose(int file_handle);
void     FileFlush(int file_handle);
bool     FileIsEnding(int file_handle);
bool     FileIsExist(const string file_name, int common_flag = 0);
bool     FileDelete(const string file_name, int common_flag = 0);
uint     FileWriteString(int file_handle, const string text_string, int length = -1);
string   FileReadString(int file_handle, int length = -1);
template<class... A> uint FileWrite(int file_handle, const A &... args);
template<class T> uint FileWriteArray(int file_handle, const T *array, int start = 0, int count = WHOLE_ARRAY);
template<class T> uint FileReadArray(int file_handle, T *array, int start = 0, int count = WHOLE_ARRAY);
datetime GlobalVariableSet(const string name, double value);
double   GlobalVariableGet(const string name);
bool     GlobalVariableGet(const string name, double &double_var);
bool     GlobalVariableCheck(const string name);
bool     GlobalVariableDel(const string name);
bool     GlobalVariableTemp(const string name);
datetime GlobalVariableTime(const string name);
string   GlobalVariableName(int index);
int      GlobalVariablesTotal(void);
bool     GlobalVariableSetOnCondition(const string name, double value, double check_value);
int      GlobalVariablesDeleteAll(const string prefix_name = NULL, datetime limit_data = 0);
void     GlobalVariablesFlush(void);

//====================================================================== network
int      SocketCreate(uint flags);
bool     SocketConnect(int socket, const string server, uint port, uint timeout_receive_ms);
int      SocketSend(int socket, const uchar *buffer, uint buffer_len);
int      SocketRead(int socket, uchar *buffer, uint buffer_maxlen, uint timeout_ms);
uint     SocketIsReadable(const int socket);
bool     SocketIsConnected(const int socket);
bool     SocketTimeouts(int socket, uint timeout_send_ms, uint timeout_receive_ms);
bool     SocketClose(const int socket);
int      WebRequest(const string method, const string url, const string headers, int timeout, const char *data, char *result, string &result_headers);
int      WebRequest(const string method, const string url, const string cookie, const string referer, int timeout, const char *data, int data_size, char *result, string &result_headers);

//=============================================================== web colours
#define _MQL_COLORS(X) \
 X(clrBlack) X(clrDarkGreen) X(clrDarkSlateGray) X(clrOlive) X(clrGreen) X(clrTeal) X(clrNavy) \
 X(clrPurple) X(clrMaroon) X(clrIndigo) X(clrMidnightBlue) X(clrDarkBlue) X(clrDarkOliveGreen) \
 X(clrSaddleBrown) X(clrForestGreen) X(clrOliveDrab) X(clrSeaGreen) X(clrDarkGoldenrod) \
 X(clrDarkSlateBlue) X(clrSienna) X(clrMediumBlue) X(clrBrown) X(clrDarkTurquoise) X(clrDimGray) \
 X(clrLightSeaGreen) X(clrDarkViolet) X(clrFireBrick) X(clrMediumVioletRed) X(clrMediumSeaGreen) \
 X(clrChocolate) X(clrCrimson) X(clrSteelBlue) X(clrGoldenrod) X(clrMediumSpringGreen) \
 X(clrLawnGreen) X(clrCadetBlue) X(clrDarkOrchid) X(clrYellowGreen) X(clrLimeGreen) X(clrOrangeRed) \
 X(clrDarkOrange) X(clrOrange) X(clrGold) X(clrYellow) X(clrChartreuse) X(clrLime) X(clrSpringGreen) \
 X(clrAqua) X(clrDeepSkyBlue) X(clrBlue) X(clrMagenta) X(clrRed) X(clrGray) X(clrSlateGray) X(clrPeru) \
 X(clrBlueViolet) X(clrLightSlateGray) X(clrDeepPink) X(clrMediumTurquoise) X(clrDodgerBlue) \
 X(clrTurquoise) X(clrRoyalBlue) X(clrSlateBlue) X(clrDarkKhaki) X(clrIndianRed) X(clrMediumOrchid) \
 X(clrGreenYellow) X(clrMediumAquamarine) X(clrDarkSeaGreen) X(clrTomato) X(clrRosyBrown) X(clrOrchid) \
 X(clrMediumPurple) X(clrPaleVioletRed) X(clrCoral) X(clrCornflowerBlue) X(clrDarkGray) X(clrSandyBrown) \
 X(clrMediumSlateBlue) X(clrTan) X(clrDarkSalmon) X(clrBurlyWood) X(clrHotPink) X(clrSalmon) X(clrViolet) \
 X(clrLightCoral) X(clrSkyBlue) X(clrLightSalmon) X(clrPlum) X(clrKhaki) X(clrLightGreen) X(clrAquamarine) \
 X(clrSilver) X(clrLightSkyBlue) X(clrLightSteelBlue) X(clrLightBlue) X(clrPaleGreen) X(clrThistle) \
 X(clrPowderBlue) X(clrPaleGoldenrod) X(clrPaleTurquoise) X(clrLightGray) X(clrWheat) X(clrNavajoWhite) \
 X(clrMoccasin) X(clrLightPink) X(clrGainsboro) X(clrPeachPuff) X(clrPink) X(clrBisque) \
 X(clrLightGoldenrod) X(clrBlanchedAlmond) X(clrLemonChiffon) X(clrBeige) X(clrAntiqueWhite) \
 X(clrPapayaWhip) X(clrCornsilk) X(clrLightYellow) X(clrLightCyan) X(clrLinen) X(clrLavender) \
 X(clrMistyRose) X(clrOldLace) X(clrWhiteSmoke) X(clrSeashell) X(clrIvory) X(clrHoneydew) \
 X(clrAliceBlue) X(clrLavenderBlush) X(clrMintCream) X(clrSnow) X(clrWhite)
#define _MQL_DECLARE_COLOR(N) extern const color N;
_MQL_COLORS(_MQL_DECLARE_COLOR)
#undef _MQL_DECLARE_COLOR
#undef _MQL_COLORS
