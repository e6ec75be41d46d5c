<?xml version="1.0" encoding="UTF-8"?>
<!-- pacs.008 / pacs.009: the fields of the first $k CdtTrfTxInf of the first $s messages
     (FIToFICstmrCdtTrf, FICdtTrf; applied to the Document) as flat text, numbered on; see
     iso20022_entries.xsl for the conventions (namespace placeholder, U+E000 after every value,
     U+E001 after every remittance part, first non-blank text per path). Either side may be the
     member's own customer, so both are read.

     GROUP: G | (empty) | $offset | (empty values up to the row's width)
     ROW:   R | item position | amount | its Ccy | debtor account | creditor account | debtor agent BIC |
            creditor agent BIC | debtor country | creditor country | TxId | EndToEndId | InstrId |
            AccptncDtTm | IntrBkSttlmDt | remittance parts | AddtlTxInf | debtor name | creditor name
-->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:n="urn:moneytrail:iso20022">
  <xsl:output method="text" encoding="UTF-8"/>
  <xsl:param name="s" select="1"/>
  <xsl:param name="k" select="0"/>
  <xsl:param name="ordinal" select="0"/>
  <xsl:param name="offset" select="0"/>

  <xsl:template match="/">
    <xsl:text>G&#xE000;&#xE000;</xsl:text>
    <xsl:value-of select="$offset"/><xsl:text>&#xE000;</xsl:text>
    <xsl:text>&#xE000;&#xE000;&#xE000;&#xE000;&#xE000;&#xE000;&#xE000;&#xE000;&#xE000;&#xE000;&#xE000;&#xE000;&#xE000;&#xE000;&#xE000;&#xE000;</xsl:text>
    <xsl:for-each select="(*/*[self::n:FIToFICstmrCdtTrf or self::n:FICdtTrf][position() &lt;= $s]/n:CdtTrfTxInf)[position() &lt;= $k]">
      <xsl:variable name="amt" select="n:IntrBkSttlmAmt[normalize-space()][1]"/>
      <xsl:variable name="da" select="n:DbtrAcct/n:Id"/>
      <xsl:variable name="ca" select="n:CdtrAcct/n:Id"/>
      <xsl:variable name="dp" select="n:Dbtr"/>
      <xsl:variable name="cp" select="n:Cdtr"/>
      <xsl:text>R&#xE000;</xsl:text>
      <xsl:value-of select="position()"/><xsl:text>&#xE000;</xsl:text>
      <xsl:value-of select="$amt"/><xsl:text>&#xE000;</xsl:text>
      <xsl:value-of select="$amt/@Ccy"/><xsl:text>&#xE000;</xsl:text>
      <xsl:value-of select="($da/n:IBAN | $da/n:Othr/n:Id | $da/n:PrxyId/n:Id)[normalize-space()]"/><xsl:text>&#xE000;</xsl:text>
      <xsl:value-of select="($ca/n:IBAN | $ca/n:Othr/n:Id | $ca/n:PrxyId/n:Id)[normalize-space()]"/><xsl:text>&#xE000;</xsl:text>
      <xsl:value-of select="(n:DbtrAgt/n:FinInstnId/n:BICFI | n:DbtrAgt/n:FinInstnId/n:BIC)[normalize-space()]"/><xsl:text>&#xE000;</xsl:text>
      <xsl:value-of select="(n:CdtrAgt/n:FinInstnId/n:BICFI | n:CdtrAgt/n:FinInstnId/n:BIC)[normalize-space()]"/><xsl:text>&#xE000;</xsl:text>
      <xsl:value-of select="($dp/n:PstlAdr/n:Ctry | $dp/n:Pty/n:PstlAdr/n:Ctry | $dp/n:CtryOfRes | $dp/n:Pty/n:CtryOfRes)[normalize-space()]"/><xsl:text>&#xE000;</xsl:text>
      <xsl:value-of select="($cp/n:PstlAdr/n:Ctry | $cp/n:Pty/n:PstlAdr/n:Ctry | $cp/n:CtryOfRes | $cp/n:Pty/n:CtryOfRes)[normalize-space()]"/><xsl:text>&#xE000;</xsl:text>
      <xsl:value-of select="n:PmtId/n:TxId[normalize-space()]"/><xsl:text>&#xE000;</xsl:text>
      <xsl:value-of select="n:PmtId/n:EndToEndId[normalize-space()]"/><xsl:text>&#xE000;</xsl:text>
      <xsl:value-of select="n:PmtId/n:InstrId[normalize-space()]"/><xsl:text>&#xE000;</xsl:text>
      <xsl:value-of select="n:AccptncDtTm[normalize-space()]"/><xsl:text>&#xE000;</xsl:text>
      <xsl:value-of select="n:IntrBkSttlmDt[normalize-space()]"/><xsl:text>&#xE000;</xsl:text>
      <xsl:for-each select="n:RmtInf/n:Ustrd[normalize-space()]"><xsl:value-of select="."/><xsl:text>&#xE001;</xsl:text></xsl:for-each>
      <xsl:for-each select="n:RmtInf/n:Strd/n:CdtrRefInf/n:Ref[normalize-space()]"><xsl:value-of select="."/><xsl:text>&#xE001;</xsl:text></xsl:for-each>
      <xsl:text>&#xE000;</xsl:text>
      <xsl:value-of select="n:AddtlTxInf[normalize-space()]"/><xsl:text>&#xE000;</xsl:text>
      <xsl:value-of select="($dp/n:Nm | $dp/n:Pty/n:Nm)[normalize-space()]"/><xsl:text>&#xE000;</xsl:text>
      <xsl:value-of select="($cp/n:Nm | $cp/n:Pty/n:Nm)[normalize-space()]"/><xsl:text>&#xE000;</xsl:text>
    </xsl:for-each>
  </xsl:template>
</xsl:stylesheet>
