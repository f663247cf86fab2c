# language: tr
@t0
Özellik: T-0 webhook'lar ve idempotency
  Webhook'lar imza doğrulamalı ve tekrarda idempotent'tir (runbook §2C webhook izleme, CONTRACT §1 Webhooks).
  İmzasız veya yanlış imzalı bir webhook asla para hareket ettirmez; başarısız bir payout asla ödendi sayılmaz.

  Geçmiş:
    Diyelim ki cutover hedefi erişilebilir
    Ve bakiyesi olan bir webhook test oyuncusu

  @t0_webhook_signature
  Senaryo taslağı: <route> webhook'u <flaw> gönderilince reddedilir
    Diyelim ki bir <route> webhook konusu
    Eğer ki <route> webhook'unu <flaw> gönderirim
    O zaman webhook reddedilir ve para hareket etmez

    Örnekler:
      | route  | flaw                         |
      | payout | imzasız                      |
      | payout | yanlış secret ile imzalanmış |
      | adyen  | imzasız                      |
      | adyen  | yanlış secret ile imzalanmış |
      | stripe | imzasız                      |
      | stripe | yanlış secret ile imzalanmış |

  @t0_webhook_signature
  Senaryo: Platformun belgelediği her webhook benzeri route kimsenin imzalamadığını reddeder
    Eğer ki platformun belgelediği webhook benzeri route'ları listelerim
    O zaman her biri imzasız ve yanlış imzalı gövdeyi reddeder ve para hareket etmez

  @t0_webhook_timestamp
  Senaryo taslağı: Eski zaman damgalı <route> webhook'u reddedilir
    Diyelim ki bir <route> webhook konusu
    Eğer ki <route> webhook'unu eski zaman damgasıyla gönderirim
    O zaman webhook reddedilir ve para hareket etmez

    Örnekler:
      | route  |
      | payout |
      | stripe |

  @t0_webhook_replay
  Senaryo taslağı: Tekrarlanan <route> webhook'unun ikinci bir etkisi olmaz
    Eğer ki geçerli bir <route> webhook'u yeni bir <route> konusunu tamamlar
    O zaman etkisi tam olarak bir kez uygulanır
    Eğer ki aynı webhook tekrar gönderilir
    O zaman tekrar kabul edilir ve para hareket etmez

    Örnekler:
      | route  |
      | payout |
      | adyen  |
      | stripe |

  @t0_webhook_classification
  Senaryo: Başarısız payout webhook'u asla ödendi sayılmaz
    Eğer ki PSP geçerli imzayla bir payout'un başarısız olduğunu bildirir
    O zaman çekim payout_failed olur ve blokesi kalır

  @t0_idempotency
  Senaryo: Para isteklerinde idempotency anahtarları
    O zaman Idempotency-Key olmadan deposit reddedilir
    Ve aynı anahtarla tekrarlanan çekim aynı işlemi döndürür ve bir kez bloke eder
    Ve aynı anahtar başka bir gövdeyle 409 ile reddedilir
