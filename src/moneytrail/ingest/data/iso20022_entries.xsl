<?xml version="1.0" encoding="UTF-8"?>
<!-- camt.052 / camt.053 / camt.054: the fields of the entries of the first $s statements (Stmt,
     Rpt, Ntfctn) of a message, of the last of them only the first $k, as flat text.

     Applied to the message element (BkToCstmrStmt, ...) by moneytrail.ingest.iso20022_extract, which
     puts the file's namespace in place of urn:moneytrail:iso20022 and splits the output on U+E000
     (every value is followed by one). Output per statement: its GROUP record, then a ROW per
     payment, one per TxDtls, or one per Ntry without one; both records have the same width. A value is the text of the first element
     on its path(s) that is not blank; alternatives that the schema makes exclusive, or puts in
     preference order, are one union. What needs the whole file (ids made unique, fallbacks from
     the header) is done in Python on the columns.

     GROUP: G | ordinal ($ordinal for the first) | entries before ($offset for the first, else 0) |
            statement element | account | currency | servicer BIC |
            owner country | owner name (then empty values up to the row's width)
     ROW:   R | entry position | TxDtls index | amount | its Ccy | credit (1 or empty) |
            counterparty account | counterparty country | counterparty agent BIC |
            Refs/AcctSvcrRef | Refs/TxId | Refs/EndToEndId | entry AcctSvcrRef | entry NtryRef |
            bank transaction family | booking/value time | remittance parts (each ends with U+E001) |
            AddtlTxInf | AddtlNtryInf | counterparty name
-->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:n="urn:moneytrail:iso20022">
  <xsl:output method="text" encoding="UTF-8"/>
  <xsl:param name="s" select="1"/>
  <xsl:param name="k" select="0"/>
  <xsl:param name="ordinal" select="0"/>
  <xsl:param name="offset" select="0"/>

  <xsl:template match="/">
    <xsl:for-each select="*/*[self::n:Stmt or self::n:Rpt or self::n:Ntfctn][position() &lt;= $s]">
      <xsl:variable name="c" select="position()"/>
      <xsl:variable name="acct" select="n:Acct"/>
      <xsl:variable name="owner" select="$acct/n:Ownr"/>
      <xsl:text>G&#xE000;</xsl:text>
      <xsl:value-of select="$ordinal + $c - 1"/><xsl:text>&#xE000;</xsl:text>
      <xsl:value-of select="$offset * number($c = 1)"/><xsl:text>&#xE000;</xsl:text>
      <xsl:value-of select="local-name()"/><xsl:text>&#xE000;</xsl:text>
      <xsl:value-of select="($acct/n:Id/n:IBAN | $acct/n:Id/n:Othr/n:Id | $acct/n:Id/n:PrxyId/n:Id)[normalize-space()]"/><xsl:text>&#xE000;</xsl:text>
      <xsl:value-of select="$acct/n:Ccy[normalize-space()]"/><xsl:text>&#xE000;</xsl:text>
      <xsl:value-of select="($acct/n:Svcr/n:FinInstnId/n:BICFI | $acct/n:Svcr/n:FinInstnId/n:BIC)[normalize-space()]"/><xsl:text>&#xE000;</xsl:text>
      <xsl:value-of select="($owner/n:PstlAdr/n:Ctry | $owner/n:Pty/n:PstlAdr/n:Ctry | $owner/n:CtryOfRes | $owner/n:Pty/n:CtryOfRes)[normalize-space()]"/><xsl:text>&#xE000;</xsl:text>
      <xsl:value-of select="($owner/n:Nm | $owner/n:Pty/n:Nm)[normalize-space()]"/><xsl:text>&#xE000;</xsl:text>
      <xsl:text>&#xE000;&#xE000;&#xE000;&#xE000;&#xE000;&#xE000;&#xE000;&#xE000;&#xE000;&#xE000;&#xE000;</xsl:text>

      <xsl:for-each select="n:Ntry[$c &lt; $s or position() &lt;= $k]">
        <xsl:variable name="e" select="."/>
        <xsl:variable name="i" select="position()"/>
        <xsl:variable name="tx" select="n:NtryDtls/n:TxDtls"/>
        <xsl:variable name="ecredit" select="normalize-space(n:CdtDbtInd[normalize-space()]) = 'CRDT'"/>
        <xsl:choose>
          <xsl:when test="$tx">
            <xsl:variable name="single" select="count($tx) = 1"/>
            <xsl:for-each select="$tx">
              <xsl:variable name="amt" select="(n:Amt | n:AmtDtls/n:TxAmt/n:Amt)[normalize-space()][1]"/>
              <xsl:variable name="credit" select="normalize-space(n:CdtDbtInd[normalize-space()]) = 'CRDT' or (not(n:CdtDbtInd[normalize-space()]) and $ecredit)"/>
              <xsl:text>R&#xE000;</xsl:text>
              <xsl:value-of select="$i"/><xsl:text>&#xE000;</xsl:text>
              <xsl:value-of select="position()"/><xsl:text>&#xE000;</xsl:text>
              <xsl:choose>
                <xsl:when test="$amt">
                  <xsl:value-of select="$amt"/><xsl:text>&#xE000;</xsl:text>
                  <xsl:value-of select="$amt/@Ccy"/><xsl:text>&#xE000;</xsl:text>
                </xsl:when>
                <xsl:when test="$single">
                  <xsl:value-of select="$e/n:Amt[normalize-space()]"/><xsl:text>&#xE000;</xsl:text>
                  <xsl:value-of select="$e/n:Amt[normalize-space()][1]/@Ccy"/><xsl:text>&#xE000;</xsl:text>
                </xsl:when>
                <xsl:otherwise><xsl:text>&#xE000;&#xE000;</xsl:text></xsl:otherwise>
              </xsl:choose>
              <xsl:choose>
                <xsl:when test="$credit">
                  <xsl:variable name="p" select="n:RltdPties/n:Dbtr"/>
                  <xsl:variable name="a" select="n:RltdPties/n:DbtrAcct/n:Id"/>
                  <xsl:text>1&#xE000;</xsl:text>
                  <xsl:value-of select="($a/n:IBAN | $a/n:Othr/n:Id | $a/n:PrxyId/n:Id)[normalize-space()]"/><xsl:text>&#xE000;</xsl:text>
                  <xsl:value-of select="($p/n:PstlAdr/n:Ctry | $p/n:Pty/n:PstlAdr/n:Ctry | $p/n:CtryOfRes | $p/n:Pty/n:CtryOfRes)[normalize-space()]"/><xsl:text>&#xE000;</xsl:text>
                  <xsl:value-of select="(n:RltdAgts/n:DbtrAgt/n:FinInstnId/n:BICFI | n:RltdAgts/n:DbtrAgt/n:FinInstnId/n:BIC)[normalize-space()]"/><xsl:text>&#xE000;</xsl:text>
                </xsl:when>
                <xsl:otherwise>
                  <xsl:variable name="p" select="n:RltdPties/n:Cdtr"/>
                  <xsl:variable name="a" select="n:RltdPties/n:CdtrAcct/n:Id"/>
                  <xsl:text>&#xE000;</xsl:text>
                  <xsl:value-of select="($a/n:IBAN | $a/n:Othr/n:Id | $a/n:PrxyId/n:Id)[normalize-space()]"/><xsl:text>&#xE000;</xsl:text>
                  <xsl:value-of select="($p/n:PstlAdr/n:Ctry | $p/n:Pty/n:PstlAdr/n:Ctry | $p/n:CtryOfRes | $p/n:Pty/n:CtryOfRes)[normalize-space()]"/><xsl:text>&#xE000;</xsl:text>
                  <xsl:value-of select="(n:RltdAgts/n:CdtrAgt/n:FinInstnId/n:BICFI | n:RltdAgts/n:CdtrAgt/n:FinInstnId/n:BIC)[normalize-space()]"/><xsl:text>&#xE000;</xsl:text>
                </xsl:otherwise>
              </xsl:choose>
              <xsl:value-of select="n:Refs/n:AcctSvcrRef[normalize-space()]"/><xsl:text>&#xE000;</xsl:text>
              <xsl:value-of select="n:Refs/n:TxId[normalize-space()]"/><xsl:text>&#xE000;</xsl:text>
              <xsl:value-of select="n:Refs/n:EndToEndId[normalize-space()]"/><xsl:text>&#xE000;</xsl:text>
              <xsl:call-template name="entry"><xsl:with-param name="e" select="$e"/></xsl:call-template>
              <xsl:for-each select="n:RmtInf/n:Ustrd[normalize-space()]"><xsl:value-of select="."/><xsl:text>&#xE001;</xsl:text></xsl:for-each>
              <xsl:for-each select="n:RmtInf/n:Strd/n:CdtrRefInf/n:Ref[normalize-space()]"><xsl:value-of select="."/><xsl:text>&#xE001;</xsl:text></xsl:for-each>
              <xsl:text>&#xE000;</xsl:text>
              <xsl:value-of select="n:AddtlTxInf[normalize-space()]"/><xsl:text>&#xE000;</xsl:text>
              <xsl:value-of select="$e/n:AddtlNtryInf[normalize-space()]"/><xsl:text>&#xE000;</xsl:text>
              <xsl:choose>
                <xsl:when test="$credit"><xsl:value-of select="(n:RltdPties/n:Dbtr/n:Nm | n:RltdPties/n:Dbtr/n:Pty/n:Nm)[normalize-space()]"/></xsl:when>
                <xsl:otherwise><xsl:value-of select="(n:RltdPties/n:Cdtr/n:Nm | n:RltdPties/n:Cdtr/n:Pty/n:Nm)[normalize-space()]"/></xsl:otherwise>
              </xsl:choose>
              <xsl:text>&#xE000;</xsl:text>
            </xsl:for-each>
          </xsl:when>
          <xsl:otherwise>
            <xsl:variable name="amt" select="n:Amt[normalize-space()][1]"/>
            <xsl:text>R&#xE000;</xsl:text>
            <xsl:value-of select="$i"/><xsl:text>&#xE000;&#xE000;</xsl:text>
            <xsl:value-of select="$amt"/><xsl:text>&#xE000;</xsl:text>
            <xsl:value-of select="$amt/@Ccy"/><xsl:text>&#xE000;</xsl:text>
            <xsl:choose>
              <xsl:when test="$ecredit">
                <xsl:text>1&#xE000;&#xE000;&#xE000;</xsl:text>
                <xsl:value-of select="(n:RltdAgts/n:DbtrAgt/n:FinInstnId/n:BICFI | n:RltdAgts/n:DbtrAgt/n:FinInstnId/n:BIC)[normalize-space()]"/><xsl:text>&#xE000;</xsl:text>
              </xsl:when>
              <xsl:otherwise>
                <xsl:text>&#xE000;&#xE000;&#xE000;</xsl:text>
                <xsl:value-of select="(n:RltdAgts/n:CdtrAgt/n:FinInstnId/n:BICFI | n:RltdAgts/n:CdtrAgt/n:FinInstnId/n:BIC)[normalize-space()]"/><xsl:text>&#xE000;</xsl:text>
              </xsl:otherwise>
            </xsl:choose>
            <xsl:text>&#xE000;&#xE000;&#xE000;</xsl:text>
            <xsl:call-template name="entry"><xsl:with-param name="e" select="."/></xsl:call-template>
            <xsl:for-each select="n:RmtInf/n:Ustrd[normalize-space()]"><xsl:value-of select="."/><xsl:text>&#xE001;</xsl:text></xsl:for-each>
            <xsl:for-each select="n:RmtInf/n:Strd/n:CdtrRefInf/n:Ref[normalize-space()]"><xsl:value-of select="."/><xsl:text>&#xE001;</xsl:text></xsl:for-each>
            <xsl:text>&#xE000;</xsl:text>
            <xsl:value-of select="n:AddtlTxInf[normalize-space()]"/><xsl:text>&#xE000;</xsl:text>
            <xsl:value-of select="n:AddtlNtryInf[normalize-space()]"/><xsl:text>&#xE000;</xsl:text>
            <xsl:text>&#xE000;</xsl:text>
          </xsl:otherwise>
        </xsl:choose>
      </xsl:for-each>
    </xsl:for-each>
  </xsl:template>

  <!-- entry AcctSvcrRef | entry NtryRef | family | booking or value time -->
  <xsl:template name="entry">
    <xsl:param name="e"/>
    <xsl:value-of select="$e/n:AcctSvcrRef[normalize-space()]"/><xsl:text>&#xE000;</xsl:text>
    <xsl:value-of select="$e/n:NtryRef[normalize-space()]"/><xsl:text>&#xE000;</xsl:text>
    <xsl:value-of select="$e/n:BkTxCd/n:Domn/n:Fmly/n:Cd[normalize-space()]"/><xsl:text>&#xE000;</xsl:text>
    <xsl:value-of select="($e/n:BookgDt/n:DtTm | $e/n:BookgDt/n:Dt | $e/n:ValDt/n:DtTm | $e/n:ValDt/n:Dt)[normalize-space()]"/><xsl:text>&#xE000;</xsl:text>
  </xsl:template>
</xsl:stylesheet>
