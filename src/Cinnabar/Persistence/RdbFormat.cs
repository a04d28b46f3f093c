namespace Cinnabar.Persistence;

/// <summary>Constants of the RDB file format (opcodes, value types, versions).</summary>
public static class RdbFormat
{
    /// <summary>The version Redis 7.0 writes ("REDIS0010"); Cinnabar writes it too so 7.0 can load our files.</summary>
    public const int Version = 10;
    /// <summary>Newest version accepted when loading (Redis 7.4 writes 12).</summary>
    public const int MaxLoadVersion = 12;

    // Opcodes
    public const byte OpFunction2 = 245;
    public const byte OpFunctionPreGa = 246;
    public const byte OpModuleAux = 247;
    public const byte OpIdle = 248;
    public const byte OpFreq = 249;
    public const byte OpAux = 250;
    public const byte OpResizeDb = 251;
    public const byte OpExpireTimeMs = 252;
    public const byte OpExpireTime = 253;
    public const byte OpSelectDb = 254;
    public const byte OpEof = 255;

    // Value types
    public const byte TypeString = 0;
    public const byte TypeList = 1;
    public const byte TypeSet = 2;
    public const byte TypeZSet = 3;
    public const byte TypeHash = 4;
    public const byte TypeZSet2 = 5;
    public const byte TypeModulePreGa = 6;
    public const byte TypeModule2 = 7;
    public const byte TypeHashZipmap = 9;
    public const byte TypeListZiplist = 10;
    public const byte TypeSetIntset = 11;
    public const byte TypeZSetZiplist = 12;
    public const byte TypeHashZiplist = 13;
    public const byte TypeListQuicklist = 14;
    public const byte TypeStreamListpacks = 15;
    public const byte TypeHashListpack = 16;
    public const byte TypeZSetListpack = 17;
    public const byte TypeListQuicklist2 = 18;
    public const byte TypeStreamListpacks2 = 19;
    public const byte TypeSetListpack = 20;
    public const byte TypeStreamListpacks3 = 21;

    // Special string encodings (length byte 11xxxxxx)
    public const int EncInt8 = 0;
    public const int EncInt16 = 1;
    public const int EncInt32 = 2;
    public const int EncLzf = 3;

    // Quicklist node containers (RDB_TYPE_LIST_QUICKLIST_2)
    public const int QuicklistNodePlain = 1;
    public const int QuicklistNodePacked = 2;
}
