<?xml version="1.0" encoding="UTF-8"?>
<!-- pain.001 / pain.008: the fields of the items (CdtTrfTxInf / DrctDbtTxInf) of the message's
     first $s PmtInf, of the last of them only the first $k, as flat text (applied to the message
     element); see iso20022_entries.xsl for the conventions (namespace placeholder, U+E000 after
     every value, U+E001 after every remittance part, first non-blank text per path).

     The group (PmtInf) is the member's own side: the debtor in pain.001, the creditor collecting in
     pain.008 ($debit = 1: the item's side is the debtor).

     GROUP: G | ordinal ($ordinal for the first) | items before ($offset for the first, else 0) | PmtInfId | account | party country | agent BIC | requested date | party name |
            (empty values up to the row's width)
     ROW:   R | item position | amount | its Ccy | counterparty account | counterparty country |
            counterparty agent BIC | EndToEndId | InstrId | remittance parts | AddtlTxInf | counterparty name
-->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:n="urn:moneytrail:iso20022">
  <xsl:output method="text" encoding="UTF-8"/>
  <xsl:param name="s" select="1"/>
  <xsl:param name="k" select="0"/>
  <xsl:param name="debit" select="0"/>
  <xsl:param name="ordinal" select="0"/>
  <xsl:param name="offset" select="0"/>

  <xsl:template match="/">
    <xsl:for-each select="*/n:PmtInf[position() &lt;= $s]">
      <xsl:variable name="c" select="position()"/>
      <xsl:variable name="a" select="(n:DbtrAcct | n:CdtrAcct)/n:Id"/>
      <xsl:variable name="p" select="n:Dbtr | n:Cdtr"/>
      <xsl:variable name="d" select="(n:ReqdExctnDt | n:ReqdColltnDt)[1]"/>
      <xsl:text>G&#xE000;</xsl:text>
      <xsl:value-of select="$ordinal + $c - 1"/><xsl:text>&#xE000;</xsl:text>
      <xsl:value-of select="$offset * number($c = 1)"/><xsl:text>&#xE000;</xsl:text>
      <xsl:value-of select="n:PmtInfId[normalize-space()]"/><xsl:text>&#xE000;</xsl:text>
      <xsl:value-of select="($a/n:IBAN | $a/n:Othr/n:Id | $a/n:PrxyId/n:Id)[normalize-space()]"/><xsl:text>&#xE000;</xsl:text>
      <xsl:value-of select="($p/n:PstlAdr/n:Ctry | $p/n:Pty/n:PstlAdr/n:Ctry | $p/n:CtryOfRes | $p/n:Pty/n:CtryOfRes)[normalize-space()]"/><xsl:text>&#xE000;</xsl:text>
      <xsl:value-of select="((n:DbtrAgt | n:CdtrAgt)/n:FinInstnId/n:BICFI | (n:DbtrAgt | n:CdtrAgt)/n:FinInstnId/n:BIC)[normalize-space()]"/><xsl:text>&#xE000;</xsl:text>
      <xsl:choose>
        <xsl:when test="($d/n:DtTm | $d/n:Dt)[normalize-space()]"><xsl:value-of select="($d/n:DtTm | $d/n:Dt)[normalize-space()]"/></xsl:when>
        <xsl:otherwise><xsl:value-of select="$d/text()[normalize-space()]"/></xsl:otherwise>
      </xsl:choose>
      <xsl:text>&#xE000;</xsl:text>
      <xsl:value-of select="($p/n:Nm | $p/n:Pty/n:Nm)[normalize-space()]"/><xsl:text>&#xE000;</xsl:text>
      <xsl:text>&#xE000;&#xE000;&#xE000;</xsl:text>

      <xsl:for-each select="(n:CdtTrfTxInf | n:DrctDbtTxInf)[$c &lt; $s or position() &lt;= $k]">
        <xsl:variable name="amt" select="(n:Amt/n:InstdAmt | n:InstdAmt | n:Amt/n:EqvtAmt/n:Amt)[normalize-space()][1]"/>
        <xsl:text>R&#xE000;</xsl:text>
        <xsl:value-of select="position()"/><xsl:text>&#xE000;</xsl:text>
        <xsl:value-of select="$amt"/><xsl:text>&#xE000;</xsl:text>
        <xsl:value-of select="$amt/@Ccy"/><xsl:text>&#xE000;</xsl:text>
        <xsl:choose>
          <xsl:when test="$debit = 1">
            <xsl:variable name="ia" select="n:DbtrAcct/n:Id"/>
            <xsl:variable name="ip" select="n:Dbtr"/>
            <xsl:value-of select="($ia/n:IBAN | $ia/n:Othr/n:Id | $ia/n:PrxyId/n:Id)[normalize-space()]"/><xsl:text>&#xE000;</xsl:text>
            <xsl:value-of select="($ip/n:PstlAdr/n:Ctry | $ip/n:Pty/n:PstlAdr/n:Ctry | $ip/n:CtryOfRes | $ip/n:Pty/n:CtryOfRes)[normalize-space()]"/><xsl:text>&#xE000;</xsl:text>
            <xsl:value-of select="(n:DbtrAgt/n:FinInstnId/n:BICFI | n:DbtrAgt/n:FinInstnId/n:BIC)[normalize-space()]"/><xsl:text>&#xE000;</xsl:text>
          </xsl:when>
          <xsl:otherwise>
            <xsl:variable name="ia" select="n:CdtrAcct/n:Id"/>
            <xsl:variable name="ip" select="n:Cdtr"/>
            <xsl:value-of select="($ia/n:IBAN | $ia/n:Othr/n:Id | $ia/n:PrxyId/n:Id)[normalize-space()]"/><xsl:text>&#xE000;</xsl:text>
            <xsl:value-of select="($ip/n:PstlAdr/n:Ctry | $ip/n:Pty/n:PstlAdr/n:Ctry | $ip/n:CtryOfRes | $ip/n:Pty/n:CtryOfRes)[normalize-space()]"/><xsl:text>&#xE000;</xsl:text>
            <xsl:value-of select="(n:CdtrAgt/n:FinInstnId/n:BICFI | n:CdtrAgt/n:FinInstnId/n:BIC)[normalize-space()]"/><xsl:text>&#xE000;</xsl:text>
          </xsl:otherwise>
        </xsl:choose>
        <xsl:value-of select="n:PmtId/n:EndToEndId[normalize-space()]"/><xsl:text>&#xE000;</xsl:text>
        <xsl:value-of select="n:PmtId/n:InstrId[normalize-space()]"/><xsl:text>&#xE000;</xsl:text>
        <xsl:for-each select="n:RmtInf/n:Ustrd[normalize-space()]"><xsl:value-of select="."/><xsl:text>&#xE001;</xsl:text></xsl:for-each>
        <xsl:for-each select="n:RmtInf/n:Strd/n:CdtrRefInf/n:Ref[normalize-space()]"><xsl:value-of select="."/><xsl:text>&#xE001;</xsl:text></xsl:for-each>
        <xsl:text>&#xE000;</xsl:text>
        <xsl:value-of select="n:AddtlTxInf[normalize-space()]"/><xsl:text>&#xE000;</xsl:text>
        <xsl:choose>
          <xsl:when test="$debit = 1"><xsl:value-of select="(n:Dbtr/n:Nm | n:Dbtr/n:Pty/n:Nm)[normalize-space()]"/></xsl:when>
          <xsl:otherwise><xsl:value-of select="(n:Cdtr/n:Nm | n:Cdtr/n:Pty/n:Nm)[normalize-space()]"/></xsl:otherwise>
        </xsl:choose>
        <xsl:text>&#xE000;</xsl:text>
      </xsl:for-each>
    </xsl:for-each>
  </xsl:template>
</xsl:stylesheet>
