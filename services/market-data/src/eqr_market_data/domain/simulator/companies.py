"""The simulated universe's companies: real US-listed names with approximate end-of-2024 facts.

Shares outstanding (millions, all share classes for multi-class companies) and the share
price are approximate figures for the end of 2024; they set each name's market cap. The
dividend yield (percent) and the beta are the simulation's parameters for the name.
Sectors are GICS sectors; industries are GICS industries (the level above sub-industries).
"""

from __future__ import annotations

from dataclasses import dataclass

NASDAQ = "NASDAQ"
NYSE = "NYSE"

IT = "Information Technology"
COMM = "Communication Services"
DISC = "Consumer Discretionary"
STAPLES = "Consumer Staples"
HEALTH = "Health Care"
FIN = "Financials"
INDU = "Industrials"
ENERGY = "Energy"
MAT = "Materials"
UTIL = "Utilities"
REIT = "Real Estate"

SOFTWARE = "Software"
SEMIS = "Semiconductors & Semiconductor Equipment"
HARDWARE = "Technology Hardware, Storage & Peripherals"
INTERACTIVE = "Interactive Media & Services"
ENTERTAINMENT = "Entertainment"
TELECOM = "Diversified Telecommunication Services"
RESTAURANTS = "Hotels, Restaurants & Leisure"
SPECIALTY_RETAIL = "Specialty Retail"
AUTOS = "Automobiles"
STAPLES_RETAIL = "Consumer Staples Distribution & Retail"
HOUSEHOLD = "Household Products"
BEVERAGES = "Beverages"
FOOD = "Food Products"
TOBACCO = "Tobacco"
PHARMA = "Pharmaceuticals"
BIOTECH = "Biotechnology"
PROVIDERS = "Health Care Providers & Services"
HC_EQUIPMENT = "Health Care Equipment & Supplies"
LIFE_SCIENCES = "Life Sciences Tools & Services"
BANKS = "Banks"
FIN_SERVICES = "Financial Services"
CAPITAL_MARKETS = "Capital Markets"
INSURANCE = "Insurance"
AEROSPACE = "Aerospace & Defense"
MACHINERY = "Machinery"
CONGLOMERATES = "Industrial Conglomerates"
GROUND = "Ground Transportation"
LOGISTICS = "Air Freight & Logistics"
OIL_GAS = "Oil, Gas & Consumable Fuels"
ENERGY_SERVICES = "Energy Equipment & Services"
CHEMICALS = "Chemicals"
MINING = "Metals & Mining"
CONSTRUCTION_MATERIALS = "Construction Materials"
PACKAGING = "Containers & Packaging"
ELECTRIC = "Electric Utilities"
MULTI_UTIL = "Multi-Utilities"
SPECIALIZED_REITS = "Specialized REITs"
RETAIL_REITS = "Retail REITs"
RESIDENTIAL_REITS = "Residential REITs"
REAL_ESTATE_SERVICES = "Real Estate Management & Development"
POWER_PRODUCERS = "Independent Power and Renewable Electricity Producers"


@dataclass(frozen=True)
class Company:
    symbol: str
    name: str
    exchange: str
    sector: str
    industry: str
    shares_millions: float
    price_2024: float
    dividend_yield_percent: float
    beta: float

    @property
    def shares_outstanding(self) -> int:
        return round(self.shares_millions * 1_000_000)

    @property
    def market_cap_2024(self) -> float:
        return self.shares_outstanding * self.price_2024


C = Company

COMPANIES: tuple[Company, ...] = (
    # Information Technology
    C("AAPL", "Apple Inc.", NASDAQ, IT, HARDWARE, 15_116, 250.0, 0.4, 1.20),
    C("MSFT", "Microsoft Corporation", NASDAQ, IT, SOFTWARE, 7_435, 420.0, 0.8, 0.90),
    C("NVDA", "NVIDIA Corporation", NASDAQ, IT, SEMIS, 24_490, 135.0, 0.03, 1.70),
    C("AVGO", "Broadcom Inc.", NASDAQ, IT, SEMIS, 4_690, 230.0, 1.0, 1.20),
    C("ORCL", "Oracle Corporation", NYSE, IT, SOFTWARE, 2_800, 165.0, 1.0, 1.00),
    C("CRM", "Salesforce, Inc.", NYSE, IT, SOFTWARE, 957, 335.0, 0.5, 1.30),
    C("ADBE", "Adobe Inc.", NASDAQ, IT, SOFTWARE, 435, 445.0, 0.0, 1.30),
    C("CSCO", "Cisco Systems, Inc.", NASDAQ, IT, "Communications Equipment", 3_980, 59.0, 2.7, 0.85),
    C("AMD", "Advanced Micro Devices, Inc.", NASDAQ, IT, SEMIS, 1_620, 121.0, 0.0, 1.70),
    C("INTC", "Intel Corporation", NASDAQ, IT, SEMIS, 4_310, 20.0, 0.0, 1.10),
    C("IBM", "International Business Machines Corporation", NYSE, IT, "IT Services", 925, 220.0, 3.0, 0.70),
    C("QCOM", "QUALCOMM Incorporated", NASDAQ, IT, SEMIS, 1_110, 155.0, 2.2, 1.30),
    C("TXN", "Texas Instruments Incorporated", NASDAQ, IT, SEMIS, 912, 188.0, 2.9, 1.00),
    C("INTU", "Intuit Inc.", NASDAQ, IT, SOFTWARE, 280, 630.0, 0.6, 1.25),
    C("AMAT", "Applied Materials, Inc.", NASDAQ, IT, SEMIS, 815, 163.0, 1.0, 1.50),
    C("MU", "Micron Technology, Inc.", NASDAQ, IT, SEMIS, 1_115, 85.0, 0.5, 1.30),
    C("NOW", "ServiceNow, Inc.", NYSE, IT, SOFTWARE, 206, 1_060.0, 0.0, 1.00),
    # Communication Services
    C("GOOGL", "Alphabet Inc.", NASDAQ, COMM, INTERACTIVE, 12_250, 190.0, 0.4, 1.05),
    C("META", "Meta Platforms, Inc.", NASDAQ, COMM, INTERACTIVE, 2_525, 585.0, 0.35, 1.25),
    C("NFLX", "Netflix, Inc.", NASDAQ, COMM, ENTERTAINMENT, 428, 890.0, 0.0, 1.30),
    C("DIS", "The Walt Disney Company", NYSE, COMM, ENTERTAINMENT, 1_810, 111.0, 0.8, 1.20),
    C("CMCSA", "Comcast Corporation", NASDAQ, COMM, "Media", 3_830, 38.0, 3.3, 1.00),
    C("VZ", "Verizon Communications Inc.", NYSE, COMM, TELECOM, 4_210, 40.0, 6.7, 0.45),
    C("T", "AT&T Inc.", NYSE, COMM, TELECOM, 7_175, 23.0, 4.9, 0.60),
    C(
        "TMUS",
        "T-Mobile US, Inc.",
        NASDAQ,
        COMM,
        "Wireless Telecommunication Services",
        1_160,
        221.0,
        1.4,
        0.55,
    ),
    C("CHTR", "Charter Communications, Inc.", NASDAQ, COMM, "Media", 142, 343.0, 0.0, 1.00),
    C("EA", "Electronic Arts Inc.", NASDAQ, COMM, ENTERTAINMENT, 262, 146.0, 0.5, 0.80),
    # Consumer Discretionary
    C("AMZN", "Amazon.com, Inc.", NASDAQ, DISC, "Broadline Retail", 10_510, 220.0, 0.0, 1.15),
    C("TSLA", "Tesla, Inc.", NASDAQ, DISC, AUTOS, 3_210, 404.0, 0.0, 2.00),
    C("HD", "The Home Depot, Inc.", NYSE, DISC, SPECIALTY_RETAIL, 993, 390.0, 2.3, 1.00),
    C("MCD", "McDonald's Corporation", NYSE, DISC, RESTAURANTS, 717, 290.0, 2.4, 0.70),
    C("NKE", "NIKE, Inc.", NYSE, DISC, "Textiles, Apparel & Luxury Goods", 1_480, 76.0, 2.1, 1.05),
    C("LOW", "Lowe's Companies, Inc.", NYSE, DISC, SPECIALTY_RETAIL, 565, 247.0, 1.9, 1.05),
    C("SBUX", "Starbucks Corporation", NASDAQ, DISC, RESTAURANTS, 1_135, 91.0, 2.7, 0.95),
    C("BKNG", "Booking Holdings Inc.", NASDAQ, DISC, RESTAURANTS, 33, 4_970.0, 0.7, 1.30),
    C("TJX", "The TJX Companies, Inc.", NYSE, DISC, SPECIALTY_RETAIL, 1_125, 121.0, 1.2, 0.90),
    C("GM", "General Motors Company", NYSE, DISC, AUTOS, 1_000, 53.0, 0.9, 1.40),
    C("F", "Ford Motor Company", NYSE, DISC, AUTOS, 3_970, 10.0, 6.0, 1.60),
    C("CMG", "Chipotle Mexican Grill, Inc.", NYSE, DISC, RESTAURANTS, 1_360, 60.0, 0.0, 1.20),
    C("ABNB", "Airbnb, Inc.", NASDAQ, DISC, RESTAURANTS, 630, 131.0, 0.0, 1.30),
    C("MAR", "Marriott International, Inc.", NASDAQ, DISC, RESTAURANTS, 278, 279.0, 0.9, 1.40),
    # Consumer Staples
    C("WMT", "Walmart Inc.", NYSE, STAPLES, STAPLES_RETAIL, 8_030, 90.0, 0.9, 0.50),
    C("PG", "The Procter & Gamble Company", NYSE, STAPLES, HOUSEHOLD, 2_355, 168.0, 2.4, 0.40),
    C("KO", "The Coca-Cola Company", NYSE, STAPLES, BEVERAGES, 4_310, 62.0, 3.1, 0.55),
    C("PEP", "PepsiCo, Inc.", NASDAQ, STAPLES, BEVERAGES, 1_372, 152.0, 3.6, 0.50),
    C("COST", "Costco Wholesale Corporation", NASDAQ, STAPLES, STAPLES_RETAIL, 444, 916.0, 0.5, 0.80),
    C("PM", "Philip Morris International Inc.", NYSE, STAPLES, TOBACCO, 1_555, 120.0, 4.5, 0.50),
    C("MO", "Altria Group, Inc.", NYSE, STAPLES, TOBACCO, 1_690, 52.0, 7.8, 0.60),
    C("MDLZ", "Mondelez International, Inc.", NASDAQ, STAPLES, FOOD, 1_337, 60.0, 3.1, 0.55),
    C("CL", "Colgate-Palmolive Company", NYSE, STAPLES, HOUSEHOLD, 815, 91.0, 2.2, 0.40),
    C("KMB", "Kimberly-Clark Corporation", NYSE, STAPLES, HOUSEHOLD, 334, 131.0, 3.7, 0.40),
    C("GIS", "General Mills, Inc.", NYSE, STAPLES, FOOD, 550, 64.0, 3.7, 0.30),
    C("KHC", "The Kraft Heinz Company", NASDAQ, STAPLES, FOOD, 1_210, 31.0, 5.2, 0.55),
    C("TGT", "Target Corporation", NYSE, STAPLES, STAPLES_RETAIL, 460, 135.0, 3.3, 1.00),
    # Health Care
    C("LLY", "Eli Lilly and Company", NYSE, HEALTH, PHARMA, 949, 772.0, 0.7, 0.45),
    C("UNH", "UnitedHealth Group Incorporated", NYSE, HEALTH, PROVIDERS, 920, 506.0, 1.7, 0.55),
    C("JNJ", "Johnson & Johnson", NYSE, HEALTH, PHARMA, 2_407, 145.0, 3.4, 0.50),
    C("ABBV", "AbbVie Inc.", NYSE, HEALTH, BIOTECH, 1_767, 178.0, 3.6, 0.60),
    C("MRK", "Merck & Co., Inc.", NYSE, HEALTH, PHARMA, 2_530, 99.0, 3.2, 0.40),
    C("PFE", "Pfizer Inc.", NYSE, HEALTH, PHARMA, 5_667, 26.5, 6.5, 0.60),
    C("TMO", "Thermo Fisher Scientific Inc.", NYSE, HEALTH, LIFE_SCIENCES, 383, 520.0, 0.3, 0.80),
    C("ABT", "Abbott Laboratories", NYSE, HEALTH, HC_EQUIPMENT, 1_734, 113.0, 2.0, 0.70),
    C("DHR", "Danaher Corporation", NYSE, HEALTH, LIFE_SCIENCES, 722, 230.0, 0.5, 0.85),
    C("AMGN", "Amgen Inc.", NASDAQ, HEALTH, BIOTECH, 537, 261.0, 3.5, 0.60),
    C("GILD", "Gilead Sciences, Inc.", NASDAQ, HEALTH, BIOTECH, 1_246, 92.0, 3.4, 0.30),
    C("ISRG", "Intuitive Surgical, Inc.", NASDAQ, HEALTH, HC_EQUIPMENT, 356, 522.0, 0.0, 1.40),
    C("BMY", "Bristol-Myers Squibb Company", NYSE, HEALTH, PHARMA, 2_028, 57.0, 4.3, 0.40),
    C("CVS", "CVS Health Corporation", NYSE, HEALTH, PROVIDERS, 1_260, 45.0, 5.9, 0.60),
    C("VRTX", "Vertex Pharmaceuticals Incorporated", NASDAQ, HEALTH, BIOTECH, 257, 403.0, 0.0, 0.40),
    # Financials
    C("BRK.B", "Berkshire Hathaway Inc.", NYSE, FIN, FIN_SERVICES, 2_157, 453.0, 0.0, 0.85),
    C("JPM", "JPMorgan Chase & Co.", NYSE, FIN, BANKS, 2_815, 240.0, 2.1, 1.10),
    C("V", "Visa Inc.", NYSE, FIN, FIN_SERVICES, 1_950, 316.0, 0.7, 0.95),
    C("MA", "Mastercard Incorporated", NYSE, FIN, FIN_SERVICES, 918, 527.0, 0.5, 1.10),
    C("BAC", "Bank of America Corporation", NYSE, FIN, BANKS, 7_665, 44.0, 2.4, 1.30),
    C("WFC", "Wells Fargo & Company", NYSE, FIN, BANKS, 3_330, 70.0, 2.3, 1.15),
    C("GS", "The Goldman Sachs Group, Inc.", NYSE, FIN, CAPITAL_MARKETS, 314, 573.0, 2.1, 1.40),
    C("MS", "Morgan Stanley", NYSE, FIN, CAPITAL_MARKETS, 1_612, 126.0, 2.9, 1.40),
    C("C", "Citigroup Inc.", NYSE, FIN, BANKS, 1_890, 70.0, 3.2, 1.45),
    C("AXP", "American Express Company", NYSE, FIN, "Consumer Finance", 704, 297.0, 0.9, 1.20),
    C("BLK", "BlackRock, Inc.", NYSE, FIN, CAPITAL_MARKETS, 155, 1_025.0, 2.0, 1.30),
    C("SCHW", "The Charles Schwab Corporation", NYSE, FIN, CAPITAL_MARKETS, 1_780, 74.0, 1.4, 0.95),
    C("PGR", "The Progressive Corporation", NYSE, FIN, INSURANCE, 586, 240.0, 0.5, 0.35),
    C("SPGI", "S&P Global Inc.", NYSE, FIN, CAPITAL_MARKETS, 310, 498.0, 0.7, 1.15),
    C("CME", "CME Group Inc.", NASDAQ, FIN, CAPITAL_MARKETS, 360, 232.0, 2.1, 0.50),
    C("TRV", "The Travelers Companies, Inc.", NYSE, FIN, INSURANCE, 228, 241.0, 1.7, 0.65),
    # Industrials
    C("GE", "General Electric Company", NYSE, INDU, AEROSPACE, 1_075, 167.0, 0.7, 1.20),
    C("CAT", "Caterpillar Inc.", NYSE, INDU, MACHINERY, 483, 363.0, 1.5, 1.10),
    C("RTX", "RTX Corporation", NYSE, INDU, AEROSPACE, 1_330, 116.0, 2.2, 0.80),
    C("HON", "Honeywell International Inc.", NASDAQ, INDU, CONGLOMERATES, 650, 226.0, 2.0, 1.00),
    C("UNP", "Union Pacific Corporation", NYSE, INDU, GROUND, 606, 228.0, 2.3, 1.05),
    C("BA", "The Boeing Company", NYSE, INDU, AEROSPACE, 750, 177.0, 0.0, 1.50),
    C("DE", "Deere & Company", NYSE, INDU, MACHINERY, 272, 424.0, 1.4, 0.95),
    C("LMT", "Lockheed Martin Corporation", NYSE, INDU, AEROSPACE, 237, 486.0, 2.7, 0.45),
    C("UPS", "United Parcel Service, Inc.", NYSE, INDU, LOGISTICS, 855, 126.0, 5.2, 1.00),
    C("MMM", "3M Company", NYSE, INDU, CONGLOMERATES, 544, 129.0, 2.2, 1.00),
    C("ADP", "Automatic Data Processing, Inc.", NASDAQ, INDU, "Professional Services", 407, 293.0, 2.0, 0.80),
    C("GD", "General Dynamics Corporation", NYSE, INDU, AEROSPACE, 275, 263.0, 2.1, 0.60),
    C("WM", "Waste Management, Inc.", NYSE, INDU, "Commercial Services & Supplies", 401, 202.0, 1.5, 0.70),
    C("FDX", "FedEx Corporation", NYSE, INDU, LOGISTICS, 241, 281.0, 2.0, 1.30),
    C("CSX", "CSX Corporation", NASDAQ, INDU, GROUND, 1_930, 32.0, 1.5, 1.15),
    C("DAL", "Delta Air Lines, Inc.", NYSE, INDU, "Passenger Airlines", 645, 60.0, 1.0, 1.30),
    # Energy
    C("XOM", "Exxon Mobil Corporation", NYSE, ENERGY, OIL_GAS, 4_395, 108.0, 3.6, 0.90),
    C("CVX", "Chevron Corporation", NYSE, ENERGY, OIL_GAS, 1_790, 145.0, 4.5, 1.05),
    C("COP", "ConocoPhillips", NYSE, ENERGY, OIL_GAS, 1_290, 99.0, 3.1, 1.20),
    C("EOG", "EOG Resources, Inc.", NYSE, ENERGY, OIL_GAS, 563, 123.0, 3.0, 1.30),
    C("HAL", "Halliburton Company", NYSE, ENERGY, ENERGY_SERVICES, 878, 27.0, 2.5, 1.90),
    C("PSX", "Phillips 66", NYSE, ENERGY, OIL_GAS, 408, 114.0, 4.0, 1.30),
    C("MPC", "Marathon Petroleum Corporation", NYSE, ENERGY, OIL_GAS, 313, 140.0, 2.5, 1.40),
    C("OXY", "Occidental Petroleum Corporation", NYSE, ENERGY, OIL_GAS, 938, 49.0, 1.8, 1.60),
    C("WMB", "The Williams Companies, Inc.", NYSE, ENERGY, OIL_GAS, 1_219, 54.0, 3.5, 1.10),
    C("KMI", "Kinder Morgan, Inc.", NYSE, ENERGY, OIL_GAS, 2_220, 27.0, 4.2, 0.90),
    C("BKR", "Baker Hughes Company", NASDAQ, ENERGY, ENERGY_SERVICES, 990, 41.0, 2.1, 1.30),
    C("VLO", "Valero Energy Corporation", NYSE, ENERGY, OIL_GAS, 316, 123.0, 3.5, 1.30),
    # Materials
    C("SHW", "The Sherwin-Williams Company", NYSE, MAT, CHEMICALS, 252, 340.0, 0.8, 1.10),
    C("APD", "Air Products and Chemicals, Inc.", NYSE, MAT, CHEMICALS, 222, 290.0, 2.4, 0.85),
    C("ECL", "Ecolab Inc.", NYSE, MAT, CHEMICALS, 283, 234.0, 1.0, 1.00),
    C("FCX", "Freeport-McMoRan Inc.", NYSE, MAT, MINING, 1_437, 38.0, 1.6, 1.90),
    C("NEM", "Newmont Corporation", NYSE, MAT, MINING, 1_140, 37.0, 2.7, 0.50),
    C("NUE", "Nucor Corporation", NYSE, MAT, MINING, 235, 117.0, 1.9, 1.60),
    C("DOW", "Dow Inc.", NYSE, MAT, CHEMICALS, 700, 40.0, 7.0, 1.30),
    C("DD", "DuPont de Nemours, Inc.", NYSE, MAT, CHEMICALS, 418, 76.0, 2.1, 1.30),
    C("VMC", "Vulcan Materials Company", NYSE, MAT, CONSTRUCTION_MATERIALS, 132, 257.0, 0.7, 0.80),
    C("MLM", "Martin Marietta Materials, Inc.", NYSE, MAT, CONSTRUCTION_MATERIALS, 61, 516.0, 0.6, 0.90),
    C("IP", "International Paper Company", NYSE, MAT, PACKAGING, 347, 54.0, 3.4, 1.00),
    C("BALL", "Ball Corporation", NYSE, MAT, PACKAGING, 298, 55.0, 1.5, 0.90),
    C("PPG", "PPG Industries, Inc.", NYSE, MAT, CHEMICALS, 232, 119.0, 2.3, 1.10),
    # Utilities
    C("NEE", "NextEra Energy, Inc.", NYSE, UTIL, ELECTRIC, 2_057, 72.0, 2.9, 0.55),
    C("SO", "The Southern Company", NYSE, UTIL, ELECTRIC, 1_096, 82.0, 3.5, 0.45),
    C("DUK", "Duke Energy Corporation", NYSE, UTIL, ELECTRIC, 777, 108.0, 3.9, 0.45),
    C("D", "Dominion Energy, Inc.", NYSE, UTIL, MULTI_UTIL, 850, 54.0, 4.9, 0.60),
    C("AEP", "American Electric Power Company, Inc.", NASDAQ, UTIL, ELECTRIC, 533, 92.0, 3.9, 0.50),
    C("EXC", "Exelon Corporation", NASDAQ, UTIL, ELECTRIC, 1_005, 38.0, 4.1, 0.60),
    C("SRE", "Sempra", NYSE, UTIL, MULTI_UTIL, 633, 88.0, 2.8, 0.65),
    C("XEL", "Xcel Energy Inc.", NASDAQ, UTIL, ELECTRIC, 574, 68.0, 3.3, 0.40),
    C("PCG", "PG&E Corporation", NYSE, UTIL, ELECTRIC, 2_615, 20.0, 0.2, 0.85),
    C("ED", "Consolidated Edison, Inc.", NYSE, UTIL, MULTI_UTIL, 346, 89.0, 3.7, 0.35),
    C("AWK", "American Water Works Company, Inc.", NYSE, UTIL, "Water Utilities", 195, 125.0, 2.4, 0.65),
    C("VST", "Vistra Corp.", NYSE, UTIL, POWER_PRODUCERS, 340, 138.0, 0.6, 1.20),
    # Real Estate
    C("PLD", "Prologis, Inc.", NYSE, REIT, "Industrial REITs", 926, 106.0, 3.6, 1.05),
    C("AMT", "American Tower Corporation", NYSE, REIT, SPECIALIZED_REITS, 467, 183.0, 3.5, 0.90),
    C("EQIX", "Equinix, Inc.", NASDAQ, REIT, SPECIALIZED_REITS, 97, 943.0, 1.8, 0.75),
    C("SPG", "Simon Property Group, Inc.", NYSE, REIT, RETAIL_REITS, 326, 172.0, 4.8, 1.50),
    C("O", "Realty Income Corporation", NYSE, REIT, RETAIL_REITS, 875, 53.0, 5.9, 0.85),
    C("PSA", "Public Storage", NYSE, REIT, SPECIALIZED_REITS, 175, 300.0, 4.0, 0.70),
    C("WELL", "Welltower Inc.", NYSE, REIT, "Health Care REITs", 623, 126.0, 2.1, 0.85),
    C("CCI", "Crown Castle Inc.", NYSE, REIT, SPECIALIZED_REITS, 434, 91.0, 6.9, 0.85),
    C("DLR", "Digital Realty Trust, Inc.", NYSE, REIT, SPECIALIZED_REITS, 336, 177.0, 2.8, 0.90),
    C("AVB", "AvalonBay Communities, Inc.", NYSE, REIT, RESIDENTIAL_REITS, 142, 220.0, 3.1, 0.85),
    C("EQR", "Equity Residential", NYSE, REIT, RESIDENTIAL_REITS, 379, 72.0, 3.8, 0.85),
    C("CBRE", "CBRE Group, Inc.", NYSE, REIT, REAL_ESTATE_SERVICES, 306, 131.0, 0.0, 1.30),
)

DOW_MEMBERS: tuple[str, ...] = (
    "AAPL", "AMGN", "AMZN", "AXP", "BA", "CAT", "CRM", "CSCO", "CVX", "DIS",
    "GS", "HD", "HON", "IBM", "JNJ", "JPM", "KO", "MCD", "MMM", "MRK",
    "MSFT", "NKE", "NVDA", "PG", "SHW", "TRV", "UNH", "V", "VZ", "WMT",
)  # fmt: skip
"""The 30 Dow Jones Industrial Average members as of the end of 2024."""
