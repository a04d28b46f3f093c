namespace Cinnabar.DataTypes;

/// <summary>A score interval as ZRANGEBYSCORE takes it: "(" makes an end exclusive.</summary>
public readonly record struct ScoreRange(double Min, double Max, bool MinExclusive, bool MaxExclusive)
{
    public bool GteMin(double v) => MinExclusive ? v > Min : v >= Min;
    public bool LteMax(double v) => MaxExclusive ? v < Max : v <= Max;
    public bool IsEmpty => Min > Max || (Min == Max && (MinExclusive || MaxExclusive));
}

/// <summary>A lexicographic interval ("[a", "(a", "-", "+") over raw member bytes.</summary>
public readonly record struct LexRange(byte[]? Min, byte[]? Max, bool MinExclusive, bool MaxExclusive, bool MinIsNegInf, bool MinIsPosInf, bool MaxIsNegInf, bool MaxIsPosInf)
{

    public bool GteMin(ReadOnlySpan<byte> v)
    {
        if (MinIsNegInf) return true;
        if (MinIsPosInf) return false;
        int c = v.SequenceCompareTo(Min);
        return MinExclusive ? c > 0 : c >= 0;
    }

    public bool LteMax(ReadOnlySpan<byte> v)
    {
        if (MaxIsPosInf) return true;
        if (MaxIsNegInf) return false;
        int c = v.SequenceCompareTo(Max);
        return MaxExclusive ? c < 0 : c <= 0;
    }

    /// <summary>Redis' zslIsInLexRange pre-check: a range whose min is above its max holds nothing.</summary>
    public bool IsEmpty
    {
        get
        {
            if (MinIsPosInf || MaxIsNegInf) return true;
            if (MinIsNegInf || MaxIsPosInf) return false;
            int c = Min.AsSpan().SequenceCompareTo(Max);
            return c > 0 || (c == 0 && (MinExclusive || MaxExclusive));
        }
    }
}
